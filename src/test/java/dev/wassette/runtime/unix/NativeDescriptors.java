package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the tests need besides {@link Libc}: pipes, socket pairs, file status flags, a client that
 * connects and sends descriptors as {@code wassette-shim} does, and a look at {@code /proc/self/fd}.
 */
public final class NativeDescriptors {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle PIPE2 = handle("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = handle("socketpair", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle FCNTL = handle("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMSG = handle("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_NONBLOCK = 0x800;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_SETPIPE_SZ = 1031;

    private NativeDescriptors() {}

    private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor);
    }

    /** {@code [read end, write end]}, close-on-exec. */
    public static OwnedFileDescriptor[] pipe() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            check((int) PIPE2.invokeExact(fds, O_CLOEXEC), "pipe2");
            return new OwnedFileDescriptor[] {new OwnedFileDescriptor(fds.getAtIndex(JAVA_INT, 0)),
                    new OwnedFileDescriptor(fds.getAtIndex(JAVA_INT, 1))};
        }
    }

    /** Two connected Unix stream sockets (what Node's child_process gives a child as its stdio). */
    public static OwnedFileDescriptor[] socketPair() throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            check((int) SOCKETPAIR.invokeExact(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, fds), "socketpair");
            return new OwnedFileDescriptor[] {new OwnedFileDescriptor(fds.getAtIndex(JAVA_INT, 0)),
                    new OwnedFileDescriptor(fds.getAtIndex(JAVA_INT, 1))};
        }
    }

    /** Sets {@code O_NONBLOCK} on the open file {@code fd} refers to (as a client sharing it may). */
    public static void setNonBlocking(OwnedFileDescriptor fd) throws Throwable {
        int flags = (int) FCNTL.invokeExact(fd.number(), F_GETFL, 0);
        check((int) FCNTL.invokeExact(fd.number(), F_SETFL, flags | O_NONBLOCK), "fcntl F_SETFL");
    }

    public static void setPipeSize(OwnedFileDescriptor fd, int bytes) throws Throwable {
        check((int) FCNTL.invokeExact(fd.number(), F_SETPIPE_SZ, bytes), "fcntl F_SETPIPE_SZ");
    }

    /** A client connection to the Unix socket at {@code path}. */
    public static OwnedFileDescriptor connect(Path path) throws Throwable {
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        check(fd, "socket");
        try (Arena arena = Arena.ofConfined()) {
            byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment address = arena.allocate(Libc.SOCKADDR_UN_SIZE, 2);
            address.set(JAVA_SHORT, 0, (short) Libc.AF_UNIX);
            MemorySegment.copy(name, 0, address, JAVA_BYTE, Libc.SUN_PATH_OFFSET, name.length);
            check((int) CONNECT.invokeExact(fd, address, (int) Libc.SUN_PATH_OFFSET + name.length + 1), "connect");
        }
        return new OwnedFileDescriptor(fd);
    }

    /** Sends one byte with {@code descriptors} ({@code SCM_RIGHTS}), as the shim sends its stdio. */
    public static void sendWithDescriptors(OwnedFileDescriptor socket, OwnedFileDescriptor... descriptors) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(1);
            data.set(JAVA_BYTE, 0, (byte) 'S');
            MemorySegment iov = arena.allocate(Libc.IOVEC_SIZE, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1);
            long dataLength = 4L * descriptors.length;
            long space = Libc.CMSG_HEADER + ((dataLength + 7) & ~7L);
            MemorySegment control = arena.allocate(space, 8);
            control.set(JAVA_LONG, 0, Libc.CMSG_HEADER + dataLength);
            control.set(JAVA_INT, 8, Libc.SOL_SOCKET);
            control.set(JAVA_INT, 12, Libc.SCM_RIGHTS);
            for (int i = 0; i < descriptors.length; i++) {
                control.set(JAVA_INT, Libc.CMSG_HEADER + 4L * i, descriptors[i].number());
            }
            MemorySegment message = arena.allocate(Libc.MSGHDR_SIZE, 8);
            message.set(ADDRESS, Libc.MSG_IOV, iov);
            message.set(JAVA_LONG, Libc.MSG_IOVLEN, 1);
            message.set(ADDRESS, Libc.MSG_CONTROL, control);
            message.set(JAVA_LONG, Libc.MSG_CONTROLLEN, space);
            long sent = (long) SENDMSG.invokeExact(socket.number(), message, 0);
            if (sent != 1) {
                throw new IOException("sendmsg sent " + sent);
            }
        }
    }

    /** What {@code fd} refers to now ({@code pipe:[inode]}, {@code socket:[inode]}, a path), or null if it is not open. */
    public static String target(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** How many descriptors this process has open (the listing's own excepted). */
    public static long openCount() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count() - 1;
        }
    }

    private static void check(int result, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed");
        }
    }
}

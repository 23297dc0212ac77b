package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One accepted connection of a {@link UnixSocketServer}: its peer's user, its byte streams, and the
 * file descriptors its peer sends ({@code SCM_RIGHTS}).
 */
public final class UnixConnection implements AutoCloseable {
    private final OwnedFileDescriptor socket;
    private final ReadinessWait readiness;
    private InputStream input;
    private OutputStream output;

    UnixConnection(OwnedFileDescriptor socket) {
        this.socket = socket;
        this.readiness = new ReadinessWait(socket, null);
    }

    /** The connection's own descriptor: what {@link OwnedFileDescriptor#inputStream} may watch for its end. */
    public OwnedFileDescriptor descriptor() {
        return socket;
    }

    /** The user id of the process that connected, as the kernel recorded it at {@code connect} ({@code SO_PEERCRED}). */
    public int peerUid() throws IOException {
        int fd = socket.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment credentials = arena.allocate(Libc.UCRED_SIZE, 4);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, (int) Libc.UCRED_SIZE);
            int result = Libc.getsockopt(fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, credentials, length);
            if (result < 0) {
                throw Libc.error("SO_PEERCRED", result);
            }
            return credentials.get(JAVA_INT, Libc.UCRED_UID);
        } finally {
            socket.release();
        }
    }

    /** The bytes the peer sends (unbuffered; end of file when it closes or shuts down its side). */
    public synchronized InputStream inputStream() {
        if (input == null) {
            input = socket.inputStream(null);
        }
        return input;
    }

    /** Writes to the peer, each write whole. */
    public synchronized OutputStream outputStream() {
        if (output == null) {
            output = socket.outputStream(null);
        }
        return output;
    }

    /**
     * Reads one byte, which the peer sends with up to {@code max} file descriptors, and returns the
     * descriptors, now this process's (close-on-exec), in the order sent. Empty when the byte came
     * without descriptors, when the connection ended first, or when they did not all arrive (more
     * than {@code max} were sent, or this process had no descriptor numbers left: the kernel then
     * truncates the set, and those that did arrive are closed here).
     */
    public List<OwnedFileDescriptor> receiveFileDescriptors(int max) throws IOException {
        int fd = socket.acquire();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(1);
            MemorySegment iov = arena.allocate(Libc.IOVEC_SIZE, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, 1);
            long controlSize = Libc.CMSG_HEADER + align(4L * max);
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment message = arena.allocate(Libc.MSGHDR_SIZE, 8);
            message.set(ADDRESS, Libc.MSG_IOV, iov);
            message.set(JAVA_LONG, Libc.MSG_IOVLEN, 1);
            message.set(ADDRESS, Libc.MSG_CONTROL, control);
            message.set(JAVA_LONG, Libc.MSG_CONTROLLEN, controlSize);
            long n;
            while ((n = Libc.recvmsg(fd, message, Libc.MSG_CMSG_CLOEXEC)) < 0) {
                if (n == -Libc.EAGAIN) {
                    readiness.await(fd, Libc.POLLIN);
                } else if (n != -Libc.EINTR) {
                    throw Libc.error("recvmsg", n);
                }
            }
            List<OwnedFileDescriptor> received = descriptors(control, message.get(JAVA_LONG, Libc.MSG_CONTROLLEN));
            // The control buffer is rounded up to 8 bytes, so it may hold one more than max.
            if ((message.get(JAVA_INT, Libc.MSG_FLAGS) & Libc.MSG_CTRUNC) != 0 || received.size() > max) {
                received.forEach(OwnedFileDescriptor::close);
                return List.of();
            }
            return received;
        } finally {
            socket.release();
        }
    }

    /** Every descriptor of the {@code SCM_RIGHTS} messages in {@code control}, each owned at once. */
    private static List<OwnedFileDescriptor> descriptors(MemorySegment control, long length) {
        List<OwnedFileDescriptor> received = new ArrayList<>();
        long offset = 0;
        while (offset + Libc.CMSG_HEADER <= length) {
            long cmsgLength = control.get(JAVA_LONG, offset);
            if (cmsgLength < Libc.CMSG_HEADER || offset + cmsgLength > length) {
                break;
            }
            int level = control.get(JAVA_INT, offset + 8);
            int type = control.get(JAVA_INT, offset + 12);
            if (level == Libc.SOL_SOCKET && type == Libc.SCM_RIGHTS) {
                for (long at = offset + Libc.CMSG_HEADER; at + 4 <= offset + cmsgLength; at += 4) {
                    received.add(new OwnedFileDescriptor(control.get(JAVA_INT, at)));
                }
            }
            offset += align(cmsgLength);
        }
        return received;
    }

    private static long align(long length) {
        return (length + 7) & ~7L;
    }

    /** Shuts both directions down: the peer reads end of file, and whatever waits on this connection wakes. */
    public void shutdown() {
        try {
            int fd = socket.acquire();
            try {
                Libc.shutdown(fd, Libc.SHUT_RDWR);
            } finally {
                socket.release();
            }
        } catch (IOException alreadyClosed) {
            // nothing to wake
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}

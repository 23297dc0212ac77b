package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The C library calls behind {@link UnixSocketServer}, {@link UnixConnection}, {@link PageCache} and
 * {@link OwnedFileDescriptor}, for Linux on 64-bit x86 and ARM (which share these constants and
 * struct layouts). Each wrapper returns what the call returned, or minus {@code errno} when it
 * failed — the kernel's own convention — so callers can retry on {@link #EINTR} and {@link #EAGAIN}
 * without exceptions. None of these downcalls is "critical": most of them block.
 */
final class Libc {
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int EPIPE = 32;
    static final int ECONNABORTED = 103;
    static final int ECONNRESET = 104;

    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_PEERCRED = 17;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SHUT_RDWR = 2;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int POSIX_FADV_DONTNEED = 4;

    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final short POLLNVAL = 0x20;

    /** {@code struct pollfd {int fd; short events; short revents;}}. */
    static final long POLLFD_SIZE = 8;
    static final long POLLFD_EVENTS = 4;
    static final long POLLFD_REVENTS = 6;
    /** {@code struct sockaddr_un}: a 2-byte family, then the path (NUL-terminated, 108 bytes with the NUL). */
    static final long SOCKADDR_UN_SIZE = 110;
    static final long SUN_PATH_OFFSET = 2;
    static final int SUN_PATH_MAX = 108;
    /** {@code struct msghdr}. */
    static final long MSGHDR_SIZE = 56;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    /** {@code struct iovec {void *base; size_t len;}}. */
    static final long IOVEC_SIZE = 16;
    /** {@code struct cmsghdr {size_t len; int level; int type;}}, data after it. */
    static final long CMSG_HEADER = 16;
    /** {@code struct ucred {pid_t pid; uid_t uid; gid_t gid;}}. */
    static final long UCRED_SIZE = 12;
    static final long UCRED_UID = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** Where each thread's calls leave errno (a downcall writes it right after the call, before the JVM can change it). */
    private static final ThreadLocal<MemorySegment> CALL_STATE_OF_THREAD =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /**
     * The socket and stream calls, linked on first use: linking a downcall costs milliseconds cold,
     * and a server without the daemon only needs {@link FileCalls}' calls.
     */
    private static final class Sockets {
        static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle BIND = downcall("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle LISTEN = downcall("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle ACCEPT4 = downcall("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        static final MethodHandle GETSOCKOPT =
                downcall("getsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle RECVMSG = downcall("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle POLL = downcall("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        static final MethodHandle SHUTDOWN = downcall("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** The calls on files ({@link PageCache}), linked on first use. */
    private static final class FileCalls {
        /** {@code open(path, flags, ...)}: variadic (the mode, given as 0). */
        static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("open"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
        /** {@code posix_fadvise} returns the error number itself and leaves errno alone. */
        static final MethodHandle POSIX_FADVISE = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("posix_fadvise"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    }

    /** Only for error messages, linked on the first one. */
    private static final class Strerror {
        static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("strerror"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    private Libc() {}

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, Linker.Option.captureCallState("errno"));
    }

    private static long result(long returned, MemorySegment state) {
        return returned >= 0 ? returned : -(int) ERRNO.get(state, 0L);
    }

    static int socket(int domain, int type, int protocol) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.SOCKET.invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int bind(int fd, MemorySegment address, int length) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.BIND.invokeExact(state, fd, address, length), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int listen(int fd, int backlog) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.LISTEN.invokeExact(state, fd, backlog), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Accepts a connection without asking for the peer's address. */
    static int accept4(int fd, int flags) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, flags), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment length) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.GETSOCKOPT.invokeExact(state, fd, level, name, value, length), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long recvmsg(int fd, MemorySegment message, int flags) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return result((long) Sockets.RECVMSG.invokeExact(state, fd, message, flags), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long read(int fd, MemorySegment buffer, long count) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return result((long) Sockets.READ.invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long write(int fd, MemorySegment buffer, long count) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return result((long) Sockets.WRITE.invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int poll(MemorySegment pollfds, long count, int timeoutMillis) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.POLL.invokeExact(state, pollfds, count, timeoutMillis), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int shutdown(int fd, int how) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) Sockets.SHUTDOWN.invokeExact(state, fd, how), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Opens the file at {@code path} (a NUL-terminated string) with {@code flags} (none that creates a file). */
    static int open(MemorySegment path, int flags) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) FileCalls.OPEN.invokeExact(state, path, flags, 0), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Advice about a file's data in the page cache; minus the error number when refused. */
    static int posixFadvise(int fd, long offset, long length, int advice) {
        try {
            return -(int) FileCalls.POSIX_FADVISE.invokeExact(fd, offset, length, advice);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Closes {@code fd}. Not retried on EINTR: Linux has released the descriptor by then, and it may already be another's. */
    static int close(int fd) {
        MemorySegment state = CALL_STATE_OF_THREAD.get();
        try {
            return (int) result((int) CLOSE.invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** An exception for a failed call: {@code what} failed: the system's text for the error. */
    static IOException error(String what, long negativeErrno) {
        return new IOException(what + ": " + describe((int) -negativeErrno));
    }

    /** The C library's text for {@code errno} (glibc's strerror returns constant strings for known errors). */
    static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) Strerror.STRERROR.invokeExact(errno);
            return text.equals(MemorySegment.NULL) ? "errno " + errno : text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}

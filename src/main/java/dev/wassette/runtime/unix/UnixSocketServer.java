package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A listening Unix stream socket made with the C library's calls, because Java's own
 * ({@link java.nio.channels.ServerSocketChannel} for {@code UNIX}) cannot receive file descriptors
 * ({@code SCM_RIGHTS}) and does not expose its descriptor. Linux only. Its connections are
 * {@link UnixConnection}s; everything is close-on-exec.
 */
public final class UnixSocketServer implements AutoCloseable {
    /** How Java names files in system calls, so that the path bound is the path {@link java.nio.file.Files} sees. */
    private static final Charset FILE_NAMES =
            Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"), StandardCharsets.UTF_8);

    private final Path path;
    private final OwnedFileDescriptor listening;
    private final ReadinessWait readiness;
    private volatile boolean closed;

    private UnixSocketServer(Path path, OwnedFileDescriptor listening) {
        this.path = path;
        this.listening = listening;
        this.readiness = new ReadinessWait(listening, null);
    }

    /** Creates the socket file {@code path} (it must not exist) and listens on it; the file's mode follows the umask. */
    public static UnixSocketServer bind(Path path) throws IOException {
        byte[] name = path.toString().getBytes(FILE_NAMES);
        if (name.length >= Libc.SUN_PATH_MAX) {
            throw new IOException("socket path " + path + " is longer than Unix sockets allow (" + (Libc.SUN_PATH_MAX - 1) + " bytes)");
        }
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Libc.error("socket", fd);
        }
        OwnedFileDescriptor listening = new OwnedFileDescriptor(fd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(Libc.SOCKADDR_UN_SIZE, 2); // zeroed: the path ends with a NUL
            address.set(JAVA_SHORT, 0, (short) Libc.AF_UNIX);
            MemorySegment.copy(name, 0, address, JAVA_BYTE, Libc.SUN_PATH_OFFSET, name.length);
            int bound = Libc.bind(fd, address, (int) Libc.SUN_PATH_OFFSET + name.length + 1);
            if (bound < 0) {
                throw Libc.error("bind " + path, bound);
            }
            int listened = Libc.listen(fd, 128);
            if (listened < 0) {
                throw Libc.error("listen " + path, listened);
            }
        } catch (IOException | RuntimeException e) {
            listening.close();
            throw e;
        }
        return new UnixSocketServer(path, listening);
    }

    public Path path() {
        return path;
    }

    /**
     * Waits for the next connection; null once this server is closed (which wakes a waiting call).
     * Fails for errors that may pass (no descriptors left: {@code EMFILE}): the caller may try again.
     */
    public synchronized UnixConnection accept() throws IOException {
        int fd;
        try {
            fd = listening.acquire();
        } catch (IOException alreadyClosed) {
            return null;
        }
        try {
            while (!closed) {
                int connection = Libc.accept4(fd, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
                if (connection >= 0) {
                    return new UnixConnection(new OwnedFileDescriptor(connection));
                }
                if (connection == -Libc.EAGAIN) {
                    readiness.await(fd, Libc.POLLIN); // a shutdown socket (close) is readable too
                } else if (closed && connection == -Libc.EINVAL) {
                    return null;
                } else if (connection != -Libc.EINTR && connection != -Libc.ECONNABORTED) {
                    throw Libc.error("accept on " + path, connection);
                }
            }
            return null;
        } finally {
            listening.release();
        }
    }

    /** Stops listening: a waiting {@link #accept()} returns null. The socket file stays (the caller removes it). */
    @Override
    public void close() {
        closed = true;
        try {
            int fd = listening.acquire();
            try {
                Libc.shutdown(fd, Libc.SHUT_RDWR); // wakes the poll of a waiting accept (close alone would not)
            } finally {
                listening.release();
            }
        } catch (IOException alreadyClosed) {
            return;
        }
        listening.close();
    }
}

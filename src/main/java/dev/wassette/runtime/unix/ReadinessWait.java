package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Waits with {@code poll} until a descriptor is ready — or until another one, the "end" descriptor
 * (the connection whose peer decides when a session ends), becomes readable or hangs up, which
 * ends the wait early. One per stream, used under the stream's lock.
 */
final class ReadinessWait {
    private final OwnedFileDescriptor end;
    private final MemorySegment pollfds;

    /** For calls on {@code descriptor} (whose memory it uses); {@code end} may be null. */
    ReadinessWait(OwnedFileDescriptor descriptor, OwnedFileDescriptor end) {
        this.end = end;
        this.pollfds = descriptor.allocate(2 * Libc.POLLFD_SIZE);
    }

    /**
     * Waits until {@code fd} is ready for {@code events}, or has an error or hung up (the next call
     * on it says which). Returns false instead when the end descriptor became readable, hung up or
     * was closed.
     */
    boolean await(int fd, short events) throws IOException {
        int endFd;
        try {
            endFd = end == null ? -1 : end.acquire();
        } catch (IOException closed) {
            return false;
        }
        try {
            pollfds.set(JAVA_INT, 0, fd);
            pollfds.set(JAVA_SHORT, Libc.POLLFD_EVENTS, events);
            pollfds.set(JAVA_INT, Libc.POLLFD_SIZE, endFd);
            pollfds.set(JAVA_SHORT, Libc.POLLFD_SIZE + Libc.POLLFD_EVENTS, Libc.POLLIN);
            while (true) {
                pollfds.set(JAVA_SHORT, Libc.POLLFD_REVENTS, (short) 0);
                pollfds.set(JAVA_SHORT, Libc.POLLFD_SIZE + Libc.POLLFD_REVENTS, (short) 0);
                int ready = Libc.poll(pollfds, end == null ? 1 : 2, -1);
                if (ready == -Libc.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw Libc.error("poll", ready);
                }
                if (end != null && pollfds.get(JAVA_SHORT, Libc.POLLFD_SIZE + Libc.POLLFD_REVENTS) != 0) {
                    return false;
                }
                short revents = pollfds.get(JAVA_SHORT, Libc.POLLFD_REVENTS);
                if ((revents & Libc.POLLNVAL) != 0) {
                    throw Libc.error("poll of fd " + fd, -Libc.EBADF);
                }
                if (revents != 0) {
                    return true;
                }
            }
        } finally {
            if (end != null) {
                end.release();
            }
        }
    }
}

package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * {@link OwnedFileDescriptor#outputStream}: write until all is written, in the calling thread. The
 * JVM ignores SIGPIPE (it installs a handler for it), so a reader that is gone is {@code EPIPE}
 * here, never the end of the process.
 */
final class DescriptorOutputStream extends OutputStream {
    /** Room for a usual message (an answer, a log line); a larger write gets memory of its own for its time. */
    private static final int BUFFER_BYTES = 8 << 10;
    /** At most this much of a large write is copied out at a time. */
    private static final int LARGE_CHUNK_BYTES = 1 << 20;

    private final OwnedFileDescriptor descriptor;
    private final ReadinessWait readiness;
    /** Native memory the kernel writes from (a heap array cannot be passed to a call that blocks). */
    private final MemorySegment buffer;

    DescriptorOutputStream(OwnedFileDescriptor descriptor, OwnedFileDescriptor failWhenReadable) {
        this.descriptor = descriptor;
        this.buffer = descriptor.allocate(BUFFER_BYTES);
        this.readiness = new ReadinessWait(descriptor, failWhenReadable);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int fd = descriptor.acquire();
        // A large write's memory is freed when it returns, rather than kept for the session's life.
        try (Arena large = length > BUFFER_BYTES ? Arena.ofConfined() : null) {
            MemorySegment source = large == null ? buffer : large.allocate(Math.min(length, LARGE_CHUNK_BYTES));
            while (length > 0) {
                int chunk = (int) Math.min(length, source.byteSize());
                MemorySegment.copy(bytes, offset, source, JAVA_BYTE, 0, chunk);
                long written = 0;
                while (written < chunk) {
                    long n = Libc.write(fd, written == 0 ? source : source.asSlice(written), chunk - written);
                    if (n > 0) {
                        written += n;
                    } else if (n == -Libc.EAGAIN) {
                        if (!readiness.await(fd, Libc.POLLOUT)) {
                            throw new IOException("write of fd " + fd + ": the session ended while the reader was not reading");
                        }
                    } else if (n == -Libc.EPIPE) {
                        throw new IOException("write of fd " + fd + ": the reader has closed it (broken pipe)");
                    } else if (n != -Libc.EINTR) {
                        throw n == 0 ? new IOException("write of fd " + fd + " wrote nothing") : Libc.error("write of fd " + fd, n);
                    }
                }
                offset += chunk;
                length -= chunk;
            }
        } finally {
            descriptor.release();
        }
    }

    /** Closes the descriptor (once; see {@link OwnedFileDescriptor#close}). */
    @Override
    public void close() {
        descriptor.close();
    }
}

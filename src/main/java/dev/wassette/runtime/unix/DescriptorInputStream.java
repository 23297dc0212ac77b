package dev.wassette.runtime.unix;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/** {@link OwnedFileDescriptor#inputStream}: poll, then read, in the calling thread. */
final class DescriptorInputStream extends InputStream {
    /** What a reader asks for at a time (an InputStreamReader: 8 KiB). */
    private static final int BUFFER_BYTES = 8 << 10;

    private final OwnedFileDescriptor descriptor;
    private final ReadinessWait readiness;
    /** Native memory the kernel reads into (a heap array cannot be passed to a call that blocks). */
    private final MemorySegment buffer;
    private boolean ended;

    DescriptorInputStream(OwnedFileDescriptor descriptor, OwnedFileDescriptor endWhenReadable) {
        this.descriptor = descriptor;
        this.buffer = descriptor.allocate(BUFFER_BYTES);
        this.readiness = new ReadinessWait(descriptor, endWhenReadable);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] bytes, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        if (length == 0) {
            return 0;
        }
        if (ended) {
            return -1;
        }
        int fd = descriptor.acquire();
        try {
            while (true) {
                if (!readiness.await(fd, Libc.POLLIN)) {
                    ended = true;
                    return -1;
                }
                long n = Libc.read(fd, buffer, Math.min(length, BUFFER_BYTES));
                if (n > 0) {
                    MemorySegment.copy(buffer, JAVA_BYTE, 0, bytes, offset, (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    ended = true;
                    return -1;
                }
                if (n != -Libc.EINTR && n != -Libc.EAGAIN) { // EAGAIN: another reader of a shared file took the data
                    throw Libc.error("read of fd " + fd, n);
                }
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

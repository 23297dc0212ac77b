package dev.wassette.runtime.unix;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file descriptor this process owns, closed exactly once: by {@link #close()}, or — when calls are
 * still using it then — by the last of them to return. So a thread blocked in a read can never find
 * its descriptor number closed and handed to another file under it; closing only stops new calls.
 * Streams over it read and write with blocking calls in the calling (platform) thread, through
 * native buffers that are given back ({@link NativeBuffers}) or freed with the descriptor — not
 * whenever the garbage collector gets to them, which in a long-lived daemon could be thousands of
 * sessions later.
 */
public final class OwnedFileDescriptor implements AutoCloseable {
    /** Bit 0 of {@link #state}: closed (no new calls). The other bits count the calls in progress, in steps of 2. */
    private static final long CLOSED = 1;
    private static final long CALL = 2;

    private final int number;
    private final AtomicLong state = new AtomicLong();
    /** The memory of the calls on this descriptor ({@link #allocate}): pooled buffers, given back with the descriptor… */
    private List<MemorySegment> pooled;
    /** …and, when the pool had none to spare, an arena of its own, closed with the descriptor. */
    private Arena memory;
    private boolean released;

    OwnedFileDescriptor(int number) {
        if (number < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + number);
        }
        this.number = number;
    }

    /** The descriptor's number in this process (for logs and diagnostics; use it through this object only). */
    public int number() {
        return number;
    }

    public boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /**
     * A stream reading this descriptor. A read waits for data with {@code poll} first, so it works
     * the same whether the descriptor's file is in blocking mode or not (a client may have set
     * {@code O_NONBLOCK} on a file description it shares with us), and it ends the input — returns
     * end of file — as soon as {@code endWhenReadable} (if not null) becomes readable or hangs up:
     * how the other side of a connection says the reading must stop.
     */
    public InputStream inputStream(OwnedFileDescriptor endWhenReadable) {
        return new DescriptorInputStream(this, endWhenReadable);
    }

    /**
     * A stream writing this descriptor: each write is written whole (partial writes are continued; a
     * full non-blocking file is waited for with {@code poll}), unbuffered. A reader that has gone away
     * is an {@link IOException} ({@code EPIPE}), as is {@code failWhenReadable} (if not null) becoming
     * readable or hanging up while a write waits.
     */
    public OutputStream outputStream(OwnedFileDescriptor failWhenReadable) {
        return new DescriptorOutputStream(this, failWhenReadable);
    }

    /**
     * Native memory for calls on this descriptor (between {@link #acquire()} and {@link #release()}),
     * given back to the pool or freed when the descriptor is closed: no call can be using it then.
     */
    synchronized MemorySegment allocate(long bytes) {
        if (released) {
            return Arena.ofAuto().allocate(bytes, 8); // no call will use it: acquire() fails from now on
        }
        MemorySegment buffer = NativeBuffers.take(bytes);
        if (buffer != null) {
            if (pooled == null) {
                pooled = new ArrayList<>(4);
            }
            pooled.add(buffer);
            return buffer;
        }
        if (memory == null) {
            memory = Arena.ofShared();
        }
        return memory.allocate(bytes, 8);
    }

    /** Starts a call on the descriptor: its number, valid until {@link #release()}. */
    int acquire() throws IOException {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                throw new IOException("file descriptor " + number + " is closed");
            }
            if (state.compareAndSet(s, s + CALL)) {
                return number;
            }
        }
    }

    /** Ends a call started by {@link #acquire()}; the last one after {@link #close()} closes the descriptor. */
    void release() {
        if (state.addAndGet(-CALL) == CLOSED) {
            closeNow();
        }
    }

    /** Closes the descriptor now, or when the calls in progress have returned. Idempotent. */
    @Override
    public void close() {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, s | CLOSED));
        if (s == 0) {
            closeNow();
        }
    }

    /** Closes the descriptor and frees (or gives back) its calls' memory; reached once, with no call in progress. */
    private void closeNow() {
        Libc.close(number);
        Arena freed;
        List<MemorySegment> unused;
        synchronized (this) {
            released = true;
            freed = memory;
            memory = null;
            unused = pooled;
            pooled = null;
        }
        if (unused != null) {
            unused.forEach(NativeBuffers::give);
        }
        if (freed != null) {
            freed.close();
        }
    }

    @Override
    public String toString() {
        return "fd " + number + (isOpen() ? "" : " (closed)");
    }
}

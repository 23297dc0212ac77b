package dev.wassette.runtime.unix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Native buffers for calls on descriptors, reused from one descriptor to the next. Each session of
 * the daemon opens three descriptors and closes them at its end; their memory used to be a shared
 * arena each, and closing a shared arena stops every Java thread for a handshake (~150 µs on 2 cores,
 * so ~0.5 ms per session, and a pause for the other sessions' threads too). Up to
 * {@link #KEPT_PER_SIZE} buffers of each size are made and kept; past that {@link #take} says no and
 * the descriptor falls back to an arena of its own.
 *
 * <p>A buffer is given back only when no call can use it any more ({@link OwnedFileDescriptor}
 * closes the descriptor first, with no call in progress, and refuses later calls), and it is
 * zeroed then, so a session never sees the bytes of another.
 */
final class NativeBuffers {
    /** Buffers kept per size: 256 of the 8 KiB stream buffers are 2 MiB, made only if that many were ever in use at once. */
    static final int KEPT_PER_SIZE = 256;

    private static final ConcurrentHashMap<Long, Shelf> SHELVES = new ConcurrentHashMap<>();

    private static final class Shelf {
        final ConcurrentLinkedQueue<MemorySegment> free = new ConcurrentLinkedQueue<>();
        final AtomicInteger made = new AtomicInteger();
    }

    private NativeBuffers() {}

    /** A zeroed buffer of {@code bytes} (8-byte aligned), or null when this size has all its buffers in use. */
    static MemorySegment take(long bytes) {
        Shelf shelf = SHELVES.computeIfAbsent(bytes, b -> new Shelf());
        MemorySegment buffer = shelf.free.poll();
        if (buffer != null) {
            return buffer;
        }
        if (shelf.made.incrementAndGet() > KEPT_PER_SIZE) {
            shelf.made.decrementAndGet();
            return null;
        }
        return Arena.global().allocate(bytes, 8); // zeroed; kept for the life of the process, and reused
    }

    /** Takes back a buffer of {@link #take} that nothing will use again. */
    static void give(MemorySegment buffer) {
        buffer.fill((byte) 0);
        SHELVES.get(buffer.byteSize()).free.offer(buffer);
    }

    /** Buffers of {@code bytes} made so far (for tests). */
    static int made(long bytes) {
        Shelf shelf = SHELVES.get(bytes);
        return shelf == null ? 0 : shelf.made.get();
    }
}

package dev.wassette.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Bump allocation for marshalling one call's values: first from a reusable block (the store's
 * scratch memory), then from chunks of a confined arena that grow by doubling, so a large value costs
 * a few {@code malloc}s instead of one per string, list and box. Everything is freed at once by
 * {@link #close()} (the reusable block is only reused). Confined to the calling thread.
 */
final class ScratchAllocator implements SegmentAllocator, AutoCloseable {
    private static final long MAX_CHUNK = 16L << 20;

    private MemorySegment current;
    private long used;
    private long nextChunk;
    private Arena overflow;

    /** Allocates from {@code reusable} first, then from chunks of at least {@code firstChunk} bytes. */
    ScratchAllocator(MemorySegment reusable, long firstChunk) {
        this.current = reusable;
        this.nextChunk = firstChunk;
    }

    @Override
    public MemorySegment allocate(long size, long alignment) {
        if (size < 0 || alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("size " + size + ", alignment " + alignment);
        }
        MemorySegment slice = bump(size, alignment);
        if (slice != null) {
            return slice;
        }
        if (overflow == null) {
            overflow = Arena.ofConfined();
        }
        if (size + alignment > nextChunk / 2) {
            // A large block (a long list's elements) gets its own allocation; the chunk stays.
            return overflow.allocate(size, alignment);
        }
        current = overflow.allocate(nextChunk, 16);
        used = 0;
        nextChunk = Math.min(nextChunk * 2, MAX_CHUNK);
        return bump(size, alignment);
    }

    private MemorySegment bump(long size, long alignment) {
        long base = current.address();
        long start = ((base + used + alignment - 1) & -alignment) - base;
        if (start + size > current.byteSize()) {
            return null;
        }
        used = start + size;
        // Not zeroed: reused scratch holds bytes of earlier calls (as slicingAllocator would hand
        // out); the marshaller writes every field Wasmtime reads.
        return current.asSlice(start, size);
    }

    private String[] labelKeys;
    private MemorySegment[] labelBytes;

    /**
     * The UTF-8 bytes of a label (a record field, case, enum or flag name) in this allocator's
     * memory, written once per call and shared by every value that uses it: Wasmtime only reads
     * them. A small direct-mapped cache keyed by the string.
     */
    MemorySegment label(String s) {
        if (labelKeys == null) {
            labelKeys = new String[LABELS];
            labelBytes = new MemorySegment[LABELS];
        }
        int slot = s.hashCode() & (LABELS - 1);
        String key = labelKeys[slot];
        if (key != null && (key == s || key.equals(s))) {
            return labelBytes[slot];
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment bytes = utf8.length == 0 ? MemorySegment.NULL : allocateFrom(ValueLayout.JAVA_BYTE, utf8);
        labelKeys[slot] = s;
        labelBytes[slot] = bytes;
        return bytes;
    }

    private static final int LABELS = 32;

    @Override
    public void close() {
        if (overflow != null) {
            overflow.close();
            overflow = null;
        }
    }
}

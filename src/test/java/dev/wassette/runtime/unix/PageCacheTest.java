package dev.wassette.runtime.unix;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PageCache#drop}: a written and synced file is no longer cached after it; a missing one is an error. */
class PageCacheTest {
    @TempDir
    Path dir;

    @Test
    void aSyncedFileIsDroppedFromTheCache() throws IOException {
        assumeFalse(Files.getFileStore(dir).type().equals("tmpfs"), "a tmpfs file lives in the page cache");
        Path file = dir.resolve("code.bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer data = ByteBuffer.allocate(8 << 20);
            while (data.hasRemaining()) {
                ch.write(data);
            }
            ch.force(true);
        }
        assertTrue(cached(file), "just written, the file is cached whole");
        PageCache.drop(file);
        assertFalse(cached(file), "dropped from the cache");
    }

    @Test
    void aMissingFileIsAnError() {
        IOException e = assertThrows(IOException.class, () -> PageCache.drop(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("No such file"), e.getMessage());
    }

    /** Whether every page of the file is in the page cache (mincore over a fresh mapping; nothing is read). */
    static boolean cached(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).isLoaded();
        }
    }
}

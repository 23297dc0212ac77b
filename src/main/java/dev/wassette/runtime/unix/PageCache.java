package dev.wassette.runtime.unix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/** The kernel's cache of file contents, for files this server writes and maps later. */
public final class PageCache {
    private PageCache() {}

    /**
     * Asks the kernel to drop the cached pages of {@code file}, whose contents must already be on
     * disk (written back pages only are dropped: fsync first). Why: a freshly written file is cached
     * whole, and a process mapping it then gets every cached page around each one it touches mapped
     * too (the kernel's fault-around), so a precompiled component it runs counts twice what it uses
     * in its resident memory. Dropped, the file is read back as it is used.
     *
     * @throws IOException when the file cannot be opened or the kernel refuses the advice
     */
    public static void drop(Path file) throws IOException {
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = Libc.open(arena.allocateFrom(file.toAbsolutePath().toString()), Libc.O_RDONLY | Libc.O_CLOEXEC);
        }
        if (fd < 0) {
            throw Libc.error("open " + file, fd);
        }
        try {
            int advised = Libc.posixFadvise(fd, 0, 0, Libc.POSIX_FADV_DONTNEED);
            if (advised < 0) {
                throw Libc.error("posix_fadvise " + file, advised);
            }
        } finally {
            Libc.close(fd); // read-only: nothing is lost if this fails
        }
    }
}

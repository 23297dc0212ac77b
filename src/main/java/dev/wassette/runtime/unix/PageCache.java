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
import java.nio.file.Path;

/**
 * The kernel's cache of file contents, for files this server writes and maps later. Its three C
 * calls are its own, not {@link Libc}'s: a server without the daemon would otherwise link all the
 * socket calls (~45 ms, cold) the first time it stores a component.
 */
public final class PageCache {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int POSIX_FADV_DONTNEED = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code open(path, flags, ...)}: variadic (the mode, given as 0). */
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("open"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    /** {@code posix_fadvise} returns the error number itself and leaves errno alone. */
    private static final MethodHandle POSIX_FADVISE = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("posix_fadvise"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("close"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

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
            MemorySegment state = arena.allocate(CALL_STATE);
            fd = (int) OPEN.invokeExact(state, arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY | O_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("open " + file, -(int) ERRNO.get(state, 0L));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("open: " + t, t);
        }
        try {
            int refused = (int) POSIX_FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
            if (refused != 0) {
                throw Libc.error("posix_fadvise " + file, -refused);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("posix_fadvise: " + t, t);
        } finally {
            closeQuietly(fd);
        }
    }

    private static void closeQuietly(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd); // a read-only descriptor: nothing to lose on failure
        } catch (Throwable t) {
            throw new IllegalStateException("close: " + t, t);
        }
    }
}

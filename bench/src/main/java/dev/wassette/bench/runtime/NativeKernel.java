package dev.wassette.bench.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * A compute kernel's C compiled natively (bench/kernels/build.sh: {@code lib<kernel>.so}), its
 * exports {@code prepare}, {@code run} and {@code self_test} called through FFM downcalls: the
 * benchmarks' baseline without a sandbox. The benchmarks' only code that touches
 * {@code java.lang.foreign}, as {@code dev.wassette.runtime} is the project's. Closing unloads the library.
 */
public final class NativeKernel implements AutoCloseable {
    private static final FunctionDescriptor INT_INT_TO_INT = FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final FunctionDescriptor TO_INT = FunctionDescriptor.of(ValueLayout.JAVA_INT);

    private final Arena arena = Arena.ofShared();
    private final MethodHandle prepareFn;
    private final MethodHandle runFn;
    private final MethodHandle selfTestFn;

    public NativeKernel(Path library) {
        var symbols = SymbolLookup.libraryLookup(library, arena);
        var linker = Linker.nativeLinker();
        prepareFn = linker.downcallHandle(symbols.findOrThrow("prepare"), INT_INT_TO_INT);
        runFn = linker.downcallHandle(symbols.findOrThrow("run"), TO_INT);
        selfTestFn = symbols.find("self_test").map(f -> linker.downcallHandle(f, TO_INT)).orElse(null);
    }

    public int prepare(int seed, int size) {
        try {
            return (int) prepareFn.invokeExact(seed, size);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public int run() {
        return call(runFn);
    }

    public boolean hasSelfTest() {
        return selfTestFn != null;
    }

    public int selfTest() {
        return call(selfTestFn);
    }

    /** An export of no arguments returning an i32. */
    private static int call(MethodHandle export) {
        try {
            return (int) export.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}

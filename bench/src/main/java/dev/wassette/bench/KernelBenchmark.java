package dev.wassette.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Real work, the same core wasm module on every engine (see {@link Kernels}): one {@code run()} of
 * a kernel, whose input {@code prepare} generated in linear memory during setup. Setup checks the
 * checksum on the engine before anything is timed. GraalWasm is in {@link GraalKernelBenchmark}
 * (its fork needs other JVM options).
 *
 * <ul>
 *   <li>{@code wasmtime}: this project's FFM binding ({@code CoreModule}), epoch and fuel off;
 *   <li>{@code wasmtimeLimits}: the same with epoch interruption and fuel metering on (the server's
 *       engine settings);
 *   <li>{@code chicoryCompiler}: Chicory 1.7.5's runtime compiler (wasm to JVM bytecode at
 *       instantiation); its interpreter is {@link KernelInterpreterBenchmark}, with fewer
 *       iterations, since one run takes seconds;
 *   <li>{@code endiveCompiler}: Endive 1.0.0's runtime compiler;
 *   <li>{@code native}: not wasm — the kernel's C compiled natively (clang -O2), called through FFM:
 *       the baseline that bounds what any engine's ratio to another can be.
 * </ul>
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class KernelBenchmark extends BenchmarkDefaults {
    @Param({"sha256", "json", "sort", "coremark"})
    public String kernel;

    @Param({"native", "wasmtime", "wasmtimeLimits", "chicoryCompiler", "endiveCompiler"})
    public String engine;

    KernelRunner runner;

    @Setup(Level.Trial)
    public void setup() {
        runner = setUp(kernel, engine);
    }

    static KernelRunner setUp(String kernel, String engine) {
        Kernels k = Kernels.of(kernel);
        KernelRunner runner = KernelRunner.create(engine, k);
        k.prepareAndCheck(runner, engine);
        return runner;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }

    @Benchmark
    public int run() {
        return runner.run();
    }
}

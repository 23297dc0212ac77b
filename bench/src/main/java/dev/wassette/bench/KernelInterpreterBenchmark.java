package dev.wassette.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link KernelBenchmark} on Chicory's interpreter. One run takes 1–12 s there, so each iteration
 * is one or a few runs: 1 warmup and 3 measured iterations instead of 3 and 5.
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 1)
public class KernelInterpreterBenchmark extends BenchmarkDefaults {
    @Param({"sha256", "json", "sort", "coremark"})
    public String kernel;

    @Param({"chicoryInterpreter"})
    public String engine;

    private KernelRunner runner;

    @Setup(Level.Trial)
    public void setup() {
        runner = KernelBenchmark.setUp(kernel, engine);
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

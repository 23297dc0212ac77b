package dev.wassette.bench;

import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.ByteSequence;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The kernels of {@link KernelBenchmark} on GraalWasm 25 (WebAssembly on Truffle), through the
 * polyglot API. GraalWasm compiles hot wasm functions with the Graal JIT, which a stock JDK does
 * not ship: the fork gets the Graal compiler jar on the upgrade module path and JVMCI enabled, and
 * the polyglot and language jars on the module path (they are not in benchmarks.jar). bench/pom.xml
 * copies them to {@code target/graal/}; the paths are relative to the working directory, bench/.
 * Setup fails if Truffle runs without runtime compilation (the fallback, interpreter-only runtime).
 * Truffle compiles in the background after a function or loop gets hot, so this class warms up
 * longer (6 iterations).
 */
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {
        "--enable-native-access=ALL-UNNAMED,org.graalvm.truffle",
        "-XX:+UnlockExperimentalVMOptions", "-XX:+EnableJVMCI",
        "--upgrade-module-path=target/graal/compiler",
        "--module-path=target/graal/modules", "--add-modules=ALL-MODULE-PATH",
        "-Dpolyglot.engine.WarnInterpreterOnly=true"})
@Warmup(iterations = 6, time = 1)
public class GraalKernelBenchmark extends BenchmarkDefaults {
    @Param({"sha256", "json", "sort", "coremark"})
    public String kernel;

    private Engine engine;
    private Context context;
    private Value prepare;
    private Value run;
    private Value selfTest;

    @Setup(Level.Trial)
    public void setup() {
        Kernels k = Kernels.of(kernel);
        engine = Engine.newBuilder("wasm").build();
        Fixtures.check(!engine.getImplementationName().toLowerCase(java.util.Locale.ROOT).contains("interpreted")
                        && !engine.getImplementationName().toLowerCase(java.util.Locale.ROOT).contains("fallback"),
                "GraalWasm runs with runtime compilation (implementation: " + engine.getImplementationName() + ")");
        context = Context.newBuilder("wasm").engine(engine).build();
        Source source = Source.newBuilder("wasm", ByteSequence.create(k.wasm()), k.file).buildLiteral();
        Value module = context.eval(source);
        Value instance = module.canInstantiate() ? module.newInstance() : module;
        Value exports = instance.getMember("exports");
        prepare = exports.getMember("prepare");
        run = exports.getMember("run");
        selfTest = exports.hasMember("self_test") ? exports.getMember("self_test") : null;
        k.prepareAndCheck(new KernelRunner() {
            @Override
            public int prepare(int seed, int size) {
                return prepare.execute(seed, size).asInt();
            }

            @Override
            public int run() {
                return GraalKernelBenchmark.this.run();
            }

            @Override
            public boolean hasSelfTest() {
                return selfTest != null;
            }

            @Override
            public int selfTest() {
                return selfTest.execute().asInt();
            }
        }, "graalwasm");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        context.close();
        engine.close();
    }

    @Benchmark
    public int run() {
        return run.execute().asInt();
    }
}

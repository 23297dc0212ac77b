package dev.wassette.bench;

import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasiConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Diagnostic: {@link InstantiateBenchmark} on an engine with the pooling allocator
 * ({@code Engine.builder().poolingAllocator(100, 256 MiB)}). With Wasmtime's default (on-demand)
 * allocator most of an instantiation is the kernel mapping, protecting and unmapping the linear
 * memory's virtual reservation; the pool reuses pre-reserved slots instead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class InstantiatePoolingBenchmark {
    @Param({"echo.wat", "types.wasm"})
    public String instantiateComponent;

    private Engine engine;
    private Component component;
    private InstancePre pre;
    private Supplier<StoreConfig> storeConfig;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        engine = Engine.builder().poolingAllocator(100, 256L << 20).build();
        try (Linker linker = new Linker(engine)) {
            switch (instantiateComponent) {
                case "echo.wat" -> {
                    component = engine.compile(Fixtures.wat("echo.wat"));
                    storeConfig = StoreConfig::defaults;
                }
                case "types.wasm" -> {
                    Path file = Fixtures.wasiComponent();
                    if (!Files.isRegularFile(file)) {
                        throw new IllegalStateException("skipped: " + file + " does not exist (build the main project's test"
                                + " fixtures, or run with -p instantiateComponent=echo.wat)");
                    }
                    component = engine.compile(file);
                    linker.addWasip2();
                    storeConfig = () -> StoreConfig.defaults().wasi(new WasiConfig());
                }
                default -> throw new IllegalArgumentException("unknown component " + instantiateComponent);
            }
            pre = linker.instantiatePre(component);
        }
        for (int i = 0; i < 3; i++) { // slots are reused: check more than the first instance
            try (Store store = new Store(engine, storeConfig.get())) {
                var instance = pre.instantiate(store);
                if (instantiateComponent.equals("echo.wat")) {
                    Fixtures.check(instance.call("echo", new Val.Str("hello")).equals(new Val.Str("hello")), "echo(\"hello\")");
                } else {
                    Fixtures.check(instance.call("wassette:fixtures/types@0.1.0#add", new Val.S32(2), new Val.S32(3))
                            .equals(new Val.S32(5)), "types add(2, 3) == 5");
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pre.close();
        component.close();
        engine.close();
    }

    @Benchmark
    public Store instantiateFromPre() {
        Store store = new Store(engine, storeConfig.get());
        try {
            pre.instantiate(store);
        } finally {
            store.close();
        }
        return store;
    }
}

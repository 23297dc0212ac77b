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
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A fresh instance per unit of work, as the server does per tool call: {@code new Store} +
 * {@code InstancePre.instantiate} + {@code Store.close}, from a component pre-instantiated once.
 * {@code echo.wat} imports nothing (default store); {@code types.wasm} is a C component built by the
 * main project's test build that imports WASI preview 2 (linker with WASI, store with a WASI context).
 * When {@code types.wasm} is absent, that case fails in setup with a message; bench/run.sh then
 * runs only {@code -p instantiateComponent=echo.wat}. With {@code pooling=true}, the same on the
 * pooling allocator.
 */
public class InstantiateBenchmark extends BenchmarkDefaults {
    @Param({"echo.wat", "types.wasm"})
    public String instantiateComponent;

    /**
     * Diagnostic: {@code true} runs on an engine with the pooling allocator
     * ({@code poolingAllocator(100, 256 MiB)}), which reuses pre-reserved instance slots instead of
     * mapping, protecting and unmapping a linear-memory reservation per instance.
     */
    @Param({"false", "true"})
    public boolean pooling;

    private Engine engine;
    private Component component;
    private InstancePre pre;
    private Supplier<StoreConfig> storeConfig;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        engine = pooling ? Engine.builder().poolingAllocator(100, 256L << 20).build() : Engine.builder().build();
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
        // The instance must work, not merely exist.
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

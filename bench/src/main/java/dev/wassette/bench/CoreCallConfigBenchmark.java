package dev.wassette.bench;

import dev.wassette.runtime.CoreModule;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Diagnostic: the Wasmtime core call of {@link CoreCallBenchmark} under each engine setting
 * (epoch interruption x fuel), to attribute the cost of a call to the setting that causes it.
 */
public class CoreCallConfigBenchmark extends BenchmarkDefaults {
    @Param({"false", "true"})
    public boolean epoch;

    @Param({"false", "true"})
    public boolean fuel;

    int a = 2;
    int b = 3;
    private Engine engine;
    private Store store;
    private CoreModule.Function add;

    @Setup(Level.Trial)
    public void setup() {
        engine = Engine.builder().epochInterruption(epoch).consumeFuel(fuel).build();
        store = new Store(engine, StoreConfig.defaults());
        add = CoreModule.compile(engine, Fixtures.wat("add.wat")).instantiate(store).function("add");
        Fixtures.check(wasmtimeAdd() == 5, "add(2, 3) == 5");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        engine.close();
    }

    @Benchmark
    public int wasmtimeAdd() {
        return add.callI32(a, b);
    }
}

package dev.wassette.bench;

import dev.wassette.runtime.CoreModule;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One call of the core-wasm function {@code add(i32, i32) -> i32} (add.wat): the fixed cost of
 * crossing from Java into compiled wasm and back, per engine. Wasmtime goes through FFM
 * ({@code wasmtime_func_call_unchecked}); Chicory and Endive run on the JVM (interpreter, or wasm
 * compiled to JVM bytecode at instantiation).
 */
public class CoreCallBenchmark extends BenchmarkDefaults {
    /** Arguments read from fields so the JIT cannot fold the call. */
    int a = 2;
    int b = 3;

    private Engine plainEngine;
    private Engine limitedEngine;
    private Store plainStore;
    private Store limitedStore;
    private CoreModule.Function wasmtimeAdd;
    private CoreModule.Function wasmtimeAddWithLimits;
    private com.dylibso.chicory.runtime.ExportFunction chicoryInterpreter;
    private com.dylibso.chicory.runtime.ExportFunction chicoryCompiler;
    private run.endive.runtime.ExportFunction endiveInterpreter;
    private run.endive.runtime.ExportFunction endiveCompiler;

    @Setup(Level.Trial)
    public void setup() {
        byte[] wat = Fixtures.wat("add.wat");

        plainEngine = Engine.builder().epochInterruption(false).consumeFuel(false).build();
        plainStore = new Store(plainEngine, StoreConfig.defaults());
        CoreModule plain = CoreModule.compile(plainEngine, wat);
        wasmtimeAdd = plain.instantiate(plainStore).function("add");

        limitedEngine = Engine.builder().epochInterruption(true).consumeFuel(true).build();
        limitedStore = new Store(limitedEngine, StoreConfig.defaults());
        CoreModule limited = CoreModule.compile(limitedEngine, wat);
        wasmtimeAddWithLimits = limited.instantiate(limitedStore).function("add");

        // The hand-written binary must be the same module as add.wat.
        CoreModule.Function fromBinary = CoreModule.compile(plainEngine, Fixtures.ADD_WASM).instantiate(plainStore).function("add");
        Fixtures.check(fromBinary.callI32(-7, 1000) == 993, "Wasmtime runs the embedded add binary");

        var chicoryModule = com.dylibso.chicory.wasm.Parser.parse(Fixtures.ADD_WASM);
        chicoryInterpreter = com.dylibso.chicory.runtime.Instance.builder(chicoryModule).build().export("add");
        chicoryCompiler = com.dylibso.chicory.runtime.Instance.builder(chicoryModule)
                .withMachineFactory(com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(chicoryModule))
                .build().export("add");

        var endiveModule = run.endive.wasm.Parser.parse(Fixtures.ADD_WASM);
        endiveInterpreter = run.endive.runtime.Instance.builder(endiveModule).build().export("add");
        endiveCompiler = run.endive.runtime.Instance.builder(endiveModule)
                .withMachineFactory(run.endive.compiler.MachineFactoryCompiler.compile(endiveModule))
                .build().export("add");

        Fixtures.check(wasmtimeAdd() == 5, "wasmtimeAdd(2, 3) == 5");
        Fixtures.check(wasmtimeAddWithLimits() == 5, "wasmtimeAddWithLimits(2, 3) == 5");
        Fixtures.check(chicoryInterpreterAdd() == 5, "chicoryInterpreterAdd(2, 3) == 5");
        Fixtures.check(chicoryCompilerAdd() == 5, "chicoryCompilerAdd(2, 3) == 5");
        Fixtures.check(endiveInterpreterAdd() == 5, "endiveInterpreterAdd(2, 3) == 5");
        Fixtures.check(endiveCompilerAdd() == 5, "endiveCompilerAdd(2, 3) == 5");
        // Wrapping i32 arithmetic, the same everywhere.
        Fixtures.check(wasmtimeAdd.callI32(Integer.MAX_VALUE, 1) == Integer.MIN_VALUE, "Wasmtime add wraps");
        Fixtures.check((int) chicoryCompiler.apply(Integer.MAX_VALUE, 1)[0] == Integer.MIN_VALUE, "Chicory add wraps");
        Fixtures.check((int) endiveCompiler.apply(Integer.MAX_VALUE, 1)[0] == Integer.MIN_VALUE, "Endive add wraps");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plainStore.close();
        limitedStore.close();
        plainEngine.close();
        limitedEngine.close();
    }

    /** Wasmtime, engine without epoch interruption and fuel: the bare FFM call. */
    @Benchmark
    public int wasmtimeAdd() {
        return wasmtimeAdd.callI32(a, b);
    }

    /** Wasmtime, epoch interruption + fuel on (the server's engine). */
    @Benchmark
    public int wasmtimeAddWithLimits() {
        return wasmtimeAddWithLimits.callI32(a, b);
    }

    @Benchmark
    public int chicoryInterpreterAdd() {
        return (int) chicoryInterpreter.apply(a, b)[0];
    }

    @Benchmark
    public int chicoryCompilerAdd() {
        return (int) chicoryCompiler.apply(a, b)[0];
    }

    @Benchmark
    public int endiveInterpreterAdd() {
        return (int) endiveInterpreter.apply(a, b)[0];
    }

    @Benchmark
    public int endiveCompilerAdd() {
        return (int) endiveCompiler.apply(a, b)[0];
    }
}

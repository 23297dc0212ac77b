package dev.wassette.bench;

import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Instance;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.Val;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One call of the component export {@code echo: func(s: string) -> string} (echo.wat) on a store
 * and instance made once: Java string → canonical ABI (realloc + copy into linear memory) → guest →
 * lift the result → Java string. The engine has the defaults (epoch interruption and fuel on).
 */
public class ComponentCallBenchmark extends BenchmarkDefaults {
    /** Length of the echoed ASCII string in bytes. */
    @Param({"16", "1024"})
    public int length;

    private Engine engine;
    private Component component;
    private InstancePre pre;
    private Store store;
    private Instance instance;
    private ExportedFunction echo;
    private List<Val> args;

    @Setup(Level.Trial)
    public void setup() {
        engine = Engine.builder().build();
        component = engine.compile(Fixtures.wat("echo.wat"));
        try (Linker linker = new Linker(engine)) {
            pre = linker.instantiatePre(component);
        }
        store = new Store(engine, StoreConfig.defaults());
        instance = pre.instantiate(store);
        echo = component.export("echo");
        Fixtures.check(echo != null, "echo.wat exports echo");

        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append((char) ('a' + i % 26));
        }
        String text = sb.toString();
        args = List.of(new Val.Str(text));
        for (int i = 0; i < 3; i++) { // repeated calls: the guest's bump allocator is reset by post-return
            Val result = echoString();
            Fixtures.check(result instanceof Val.Str s && s.value().equals(text), "echo returns its " + length + "-byte argument");
        }
        Fixtures.check(instance.call("echo", new Val.Str("hello")).equals(new Val.Str("hello")), "echo(\"hello\") by name");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        pre.close();
        component.close();
        engine.close();
    }

    @Benchmark
    public Val echoString() {
        return instance.call(echo, args);
    }
}

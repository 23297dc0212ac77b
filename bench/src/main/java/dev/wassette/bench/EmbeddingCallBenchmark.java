package dev.wassette.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wassette.SandboxedComponent;
import dev.wassette.WassetteRuntime;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasiConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the embedding API costs per call over the raw runtime doing the same work: every variant
 * makes a fresh store and instance of {@code types.wasm} from its pre-instantiation and calls
 * {@code add(2, 3)}.
 * <ul>
 * <li>{@code raw}: {@code Store} + {@code InstancePre.instantiate} + {@code Instance.call}, with the
 * store configured as the sandbox configures it (WASI, wasi:http behind a deny-all egress check,
 * a 30 s deadline, a cancellation) — the floor;</li>
 * <li>{@code typed}: {@code SandboxedComponent.call("…#add", S32, S32)} under a policy granting
 * nothing;</li>
 * <li>{@code typedWithGrants}: the same under a policy that grants a directory, an environment
 * variable and a host (a preopen per call is Wasmtime work, not API overhead);</li>
 * <li>{@code json}: {@code SandboxedComponent.call("…#add", Map.of("a", 2, "b", 3))}, arguments
 * and result converted to and from JSON by the WIT types.</li>
 * </ul>
 * Each on an engine with or without the pooling allocator ({@code pooled}).
 */
public class EmbeddingCallBenchmark extends BenchmarkDefaults {
    private static final String ADD = "wassette:fixtures/types@0.1.0#add";

    /** Wasmtime's pooling allocator (128 slots, as the CLI's engine) instead of on-demand allocation. */
    @Param({"false", "true"})
    public boolean pooled;

    private Path dir;
    private Engine engine;
    private InstancePre pre;
    private ExportedFunction add;
    private final List<Val> args = List.of(new Val.S32(2), new Val.S32(3));
    private final Map<String, Object> jsonArgs = Map.of("a", 2, "b", 3);
    private WassetteRuntime wassette;
    private SandboxedComponent plain;
    private SandboxedComponent granted;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Path file = Fixtures.wasiComponent();
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("skipped: " + file + " does not exist (build the main project's test fixtures)");
        }
        dir = Files.createTempDirectory("wassette-bench-embedding");
        Path data = Files.createDirectories(dir.resolve("data"));
        engine = pooled ? Engine.builder().poolingAllocator(128, Engine.MAX_32BIT_MEMORY_BYTES).build() : Engine.builder().build();
        Component component = engine.compile(file);
        try (Linker linker = new Linker(engine)) {
            pre = linker.addWasip2().addWasiHttp().instantiatePre(component);
        }
        add = component.export(ADD);
        wassette = WassetteRuntime.builder().engine(engine).environment(Map.of("API_KEY", "k")).build();
        plain = wassette.load(file, Policy.builder().build());
        granted = plain.withPolicy(Policy.builder().allowRead(data).allowEnvironment("API_KEY").allowHost("api.example.com").build());
        Fixtures.check(raw().equals(new Val.S32(5)), "raw add(2, 3) == 5");
        Fixtures.check(typed().equals(new Val.S32(5)) && typedWithGrants().equals(new Val.S32(5)), "typed add(2, 3) == 5");
        Fixtures.check(json().asInt() == 5, "json add(2, 3) == 5");
    }

    @Benchmark
    public Val raw() {
        StoreConfig config = StoreConfig.defaults().wasi(new WasiConfig().sockets(true, false)).http(true)
                .timeout(Duration.ofSeconds(30)).cancellation(new dev.wassette.runtime.Cancellation());
        try (Store store = new Store(engine, config)) {
            return pre.instantiate(store).call(add, args);
        }
    }

    @Benchmark
    public Val typed() {
        return plain.call(ADD, args);
    }

    @Benchmark
    public Val typedWithGrants() {
        return granted.call(ADD, args);
    }

    @Benchmark
    public JsonNode json() {
        return plain.call(ADD, jsonArgs);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        wassette.close();
        pre.close();
        engine.close();
        Files.deleteIfExists(dir.resolve("data"));
        Files.deleteIfExists(dir);
    }
}

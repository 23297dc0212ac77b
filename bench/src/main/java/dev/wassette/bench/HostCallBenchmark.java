package dev.wassette.bench;

import dev.wassette.host.ComponentHost;
import dev.wassette.policy.PolicyEditor;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Val;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A tool call's host part, as the server makes it: {@code ComponentHost.call} of
 * {@code types#add(2, 3)} (the WASI component {@code types.wasm}) under a stored policy granting a
 * directory, an environment variable and a host — the policy lookup, its grants, the egress check,
 * a fresh store and instance, the guest, the result-size check and the audit plumbing. What lies
 * above it (JSON-RPC, argument JSON) is not included; below it, {@link InstantiateBenchmark} and
 * {@link ComponentCallBenchmark} measure the runtime alone.
 */
public class HostCallBenchmark extends BenchmarkDefaults {
    private Path dir;
    private Engine engine;
    private ComponentHost host;
    private ExportedFunction add;
    private final List<Val> args = List.of(new Val.S32(2), new Val.S32(3));

    @Setup(Level.Trial)
    @SuppressWarnings("removal") // the positional settings: the same source runs against builds before the builder
    public void setup() throws Exception {
        Path component = Fixtures.wasiComponent();
        if (!Files.isRegularFile(component)) {
            throw new IllegalStateException("skipped: " + component + " does not exist (build the main project's test fixtures)");
        }
        dir = Files.createTempDirectory("wassette-bench-host");
        Path data = Files.createDirectories(dir.resolve("data"));
        engine = Engine.builder().build();
        host = new ComponentHost(engine, new ComponentHost.Settings(dir.resolve("components"), dir.resolve("secrets"), dir,
                Map.of("API_KEY", "k"), Map.of(), Map.of(), Map.of(), Duration.ofSeconds(30), 16L << 20));
        host.load("types", Files.readAllBytes(component));
        host.store().update("types", p -> PolicyEditor.grantNetworkHost(PolicyEditor.grantEnvironment(
                PolicyEditor.grantStorage(p, "fs://" + data + "/**", Set.of(dev.wassette.policy.Policy.Access.READ)), "API_KEY"),
                "api.example.com"));
        add = host.component("types").functions().stream().filter(f -> f.name().equals("add")).findFirst().orElseThrow();
        Fixtures.check(call().equals(new Val.S32(5)), "types add(2, 3) == 5 through the host");
    }

    @Benchmark
    public Val call() throws Exception {
        return host.call("types", add, args);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        host.close();
        engine.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

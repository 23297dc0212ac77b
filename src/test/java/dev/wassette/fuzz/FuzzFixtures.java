package dev.wassette.fuzz;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import dev.wassette.runtime.ExportedFunction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What the fuzz targets share, made once per JVM: a host with {@code types.wasm} loaded as
 * {@code types}, in a directory of its own that is deleted when the JVM exits.
 */
final class FuzzFixtures {
    private static ComponentHost host;
    private static List<ExportedFunction> echoes;

    private FuzzFixtures() {}

    static synchronized ComponentHost host() {
        if (host == null) {
            try {
                Path dir = Files.createTempDirectory("wassette-fuzz");
                host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                        .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(10))
                        .maxResultBytes(1 << 20).build());
                host.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return host;
    }

    /** The echo functions of {@code types.wasm}: one per WIT value kind, each returning its argument. */
    static synchronized List<ExportedFunction> echoFunctions() {
        if (echoes == null) {
            echoes = host().component("types").functions().stream().filter(f -> f.name().startsWith("echo-")).toList();
        }
        return echoes;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort, at exit
        }
    }
}

package dev.wassette;

import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The test components built from src/test/fixtures by its build.sh (run by Maven before the tests),
 * compiled once per JVM on a shared engine whose Wasmtime code cache survives between runs.
 */
public final class Fixtures {
    private static final Map<String, Component> COMPILED = new ConcurrentHashMap<>();
    private static Engine engine;

    private Fixtures() {}

    public static Path dir() {
        String dir = System.getProperty("wassette.fixtures");
        if (dir == null) {
            throw new IllegalStateException("system property wassette.fixtures is not set (run the tests through Maven)");
        }
        return Path.of(dir);
    }

    public static Path path(String name) {
        Path p = dir().resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("fixture " + p + " is missing; run src/test/fixtures/build.sh");
        }
        return p;
    }

    /** One engine for all tests: 10 ms epoch ticks, fuel metering, code cache under the user's cache dir. */
    public static synchronized Engine engine() {
        if (engine == null) {
            engine = Engine.builder()
                    .cacheDirectory(Path.of(System.getProperty("user.home"), ".cache", "wassette", "wasmtime-tests"))
                    .build();
        }
        return engine;
    }

    /** The compiled fixture, shared; do not close it. */
    public static Component component(String name) {
        return COMPILED.computeIfAbsent(name, n -> {
            try {
                return engine().compile(path(n));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}

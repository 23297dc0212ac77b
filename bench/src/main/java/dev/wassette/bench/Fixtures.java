package dev.wassette.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the benchmark inputs live. The WAT fixtures are read from the main project's
 * {@code src/test/fixtures/wat/}: system property {@code wassette.fixtures} (pass it to the forked
 * JVM with {@code -jvmArgsAppend -Dwassette.fixtures=DIR}), else environment variable
 * {@code WASSETTE_FIXTURES} (inherited by JMH forks), else {@code ../src/test/fixtures/wat}
 * relative to the working directory (the bench directory), else {@code src/test/fixtures/wat}
 * (the project root), else {@code ../../src/test/fixtures/wat} relative to the benchmark jar
 * ({@code bench/target/benchmarks.jar}).
 */
final class Fixtures {
    private Fixtures() {}

    static Path watDir() {
        String configured = System.getProperty("wassette.fixtures", System.getenv("WASSETTE_FIXTURES"));
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("wassette.fixtures / WASSETTE_FIXTURES is not a directory: " + dir);
            }
            return dir;
        }
        java.util.List<Path> candidates = new java.util.ArrayList<>(java.util.List.of(
                Path.of("../src/test/fixtures/wat"), Path.of("src/test/fixtures/wat")));
        try { // bench/target/benchmarks.jar -> bench/../src/test/fixtures/wat, whatever the working directory
            Path jar = Path.of(Fixtures.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            candidates.add(jar.resolveSibling("../../src/test/fixtures/wat"));
        } catch (Exception ignored) {
            // no code source: rely on the working directory
        }
        for (Path candidate : candidates) {
            Path dir = candidate.toAbsolutePath().normalize();
            if (Files.isRegularFile(dir.resolve("add.wat"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the WAT fixtures (add.wat, echo.wat) from "
                + Path.of("").toAbsolutePath() + ": run from bench/ or set -Dwassette.fixtures=DIR / WASSETTE_FIXTURES=DIR");
    }

    /** The main project's root, three levels above {@code src/test/fixtures/wat}. */
    static Path projectRoot() {
        return watDir().resolve("../../../..").normalize();
    }

    /**
     * The WASI component used by the instantiation benchmark: system property
     * {@code wassette.wasiComponent}, else {@code <project>/target/fixtures/types.wasm} (built by the
     * main project's test build). May not exist.
     */
    static Path wasiComponent() {
        String configured = System.getProperty("wassette.wasiComponent", System.getenv("WASSETTE_WASI_COMPONENT"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        return projectRoot().resolve("target/fixtures/types.wasm");
    }

    static byte[] wat(String name) {
        return read(watDir().resolve(name));
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read benchmark fixture " + file, e);
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("benchmark self-check failed: " + what);
        }
    }

    /**
     * The binary form of {@code add.wat}, written by hand (41 bytes), for the pure-Java engines, which
     * do not read the text format. Wasmtime compiles both forms in the setup of
     * {@link CoreCallBenchmark} and both must agree.
     */
    static final byte[] ADD_WASM = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       // "\0asm", version 1
        0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type section: 1 type, (i32 i32) -> i32
        0x03, 0x02, 0x01, 0x00,                               // function section: 1 function of type 0
        0x07, 0x07, 0x01, 0x03, 'a', 'd', 'd', 0x00, 0x00,    // export section: "add" = func 0
        0x0a, 0x09, 0x01, 0x07, 0x00,                         // code section: 1 body of 7 bytes, no locals
        0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,                   // local.get 0, local.get 1, i32.add, end
    };
}

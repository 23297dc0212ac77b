package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code wassette serve} does not do on its way to listening, seen from a process of its own:
 * it does not start the platform MBean server (which Jetty would otherwise start to learn the size of
 * an object reference, registering every platform MBean: 130–200 ms of a start).
 */
class ServeStartTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void serveListensWithoutStartingThePlatformMBeanServer() throws Exception {
        Path classes = dir.resolve("classes.log");
        Path stderr = dir.resolve("stderr.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"),
                "dev.wassette.cli.WassetteCli", "serve", "--bind-address", "127.0.0.1:0", "--allowed-host", "127.0.0.1",
                "--component-dir", dir.resolve("components").toString(), "--secrets-dir", dir.resolve("secrets").toString(),
                "--config", dir.resolve("no-config.toml").toString())
                .redirectError(stderr.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process serve = pb.start();
        try {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (!(Files.exists(stderr) && Files.readString(stderr).contains("MCP server on http://127.0.0.1:"))) {
                assertTrue(serve.isAlive(), () -> "serve exited:\n" + read(stderr));
                assertTrue(System.nanoTime() < deadline, () -> "serve did not listen within " + BOUND.toSeconds() + " s:\n" + read(stderr));
                TimeUnit.MILLISECONDS.sleep(20);
            }
            String loaded = Files.readString(classes);
            assertTrue(loaded.contains("org.eclipse.jetty.util.BlockingArrayQueue "), "the log lists Jetty's classes");
            assertFalse(loaded.contains("com.sun.jmx.mbeanserver.JmxMBeanServer "), "the platform MBean server was started");
        } finally {
            serve.destroy();
            if (!serve.waitFor(20, TimeUnit.SECONDS)) {
                serve.destroyForcibly();
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(nothing)";
        } catch (java.io.IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}

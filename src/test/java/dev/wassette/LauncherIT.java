package dev.wassette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher ({@code ./wassette}, run after {@code package}) as a user meets it: installed beside
 * the built jar and shim in a directory of its own (so nothing is rebuilt), its caches in a
 * temporary {@code XDG_CACHE_HOME}. The JVM AOT cache it records in the background after a first
 * start is used by the next start; options under which the JVM records a cache and then refuses,
 * fatally, to start with it leave the server starting without one, and recording nothing more.
 */
class LauncherIT {
    private static final Duration RECORDING_BOUND = Duration.ofMinutes(6);
    /** Options whose cache the JVM refuses: a young generation above the launcher's -Xms16m. */
    private static final String REFUSED = "-Xmn24m";
    /** Options whose cache the JVM uses, and that make it say so on stderr. */
    private static final String USABLE = "-Xlog:aot=info:stderr";

    @TempDir
    Path tmp;

    private record Started(int exit, String stdout, String stderr) {}

    @Test
    void theAotCacheRecordedAfterAFirstStartIsUsedAndOneTheJvmRefusesIsNotTried() throws Exception {
        Path root = install();
        Path jvm = tmp.resolve("cache/wassette/jvm");
        // Caches of other builds, used 1 to 6 hours ago: a new recording keeps the four used last.
        Files.createDirectories(jvm);
        for (int hours = 1; hours <= 6; hours++) {
            Path other = Files.writeString(jvm.resolve("wassette-other" + hours + "-25-aot"), "not a real cache");
            Files.setAttribute(other, "lastAccessTime", java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofHours(hours))));
        }
        // First starts: no cache yet; each records one in the background (both at once, to save time).
        for (String opts : List.of(USABLE, REFUSED)) {
            Started first = start(root, opts);
            assertEquals(0, first.exit(), first.stderr());
            assertTrue(first.stdout().startsWith("wassette-java "), first.stdout());
        }
        awaitRecordings(jvm);
        List<String> files = names(jvm);
        assertTrue(files.stream().anyMatch(f -> f.contains("-Xlogaotinfostderr-") && f.endsWith("-aot") && !f.endsWith("-refused-aot")),
                () -> "no usable cache recorded: " + files);
        assertTrue(files.stream().anyMatch(f -> f.contains("-Xmn24m-") && f.endsWith("-refused-aot")), () -> "no refusal marked: " + files);
        assertFalse(files.stream().anyMatch(f -> f.contains("-Xmn24m-") && !f.endsWith("-refused-aot")), () -> "a refused cache was kept: " + files);
        assertEquals(List.of("wassette-other1-25-aot", "wassette-other2-25-aot", "wassette-other3-25-aot", "wassette-other4-25-aot"),
                files.stream().filter(f -> f.startsWith("wassette-other")).sorted().toList(), "the four other caches used last, and no more");

        Started cached = start(root, USABLE);
        assertEquals(0, cached.exit(), cached.stderr());
        assertTrue(cached.stderr().contains("Opened AOT cache"), () -> "the recorded cache was not used:\n" + cached.stderr());
        // `serve` uses the cache without its method profiles: the JVM accepts the launcher's options for that.
        // (A bad address: the JVM starts, with the cache, and the server stops at once.)
        Started serve = start(root, USABLE, "serve", "--bind-address", "nope");
        assertTrue(serve.stderr().contains("bind address must be HOST:PORT"), serve.stderr());
        assertTrue(serve.stderr().contains("Opened AOT cache"), () -> "serve did not use the cache:\n" + serve.stderr());

        Started refused = start(root, REFUSED);
        assertEquals(0, refused.exit(), () -> "the server did not start:\n" + refused.stderr());
        assertTrue(refused.stdout().startsWith("wassette-java "), refused.stdout());
        assertFalse(refused.stderr().contains("AOT cache"), refused.stderr());
        assertEquals(List.of(), names(jvm).stream().filter(f -> f.endsWith(".lock")).toList(), "a start recorded again");
    }

    /** The launcher, its Java-finding script, the jar and the shim, laid out as in a checkout. */
    private Path install() throws Exception {
        Path root = tmp.resolve("wassette");
        Path shim = Path.of(property("wassette.shim"));
        Path checkout = Path.of(property("wassette.launcher")).getParent();
        Files.createDirectories(root.resolve("scripts"));
        Files.createDirectories(root.resolve("target"));
        Files.copy(checkout.resolve("wassette"), root.resolve("wassette"));
        Files.copy(checkout.resolve("scripts/java-home.sh"), root.resolve("scripts/java-home.sh"));
        Files.copy(shim.resolveSibling("wassette.jar"), root.resolve("target/wassette.jar")); // the CLI's jar, beside the shim
        Files.copy(shim, root.resolve("target/wassette-shim"));
        assertTrue(root.resolve("target/wassette-shim").toFile().setExecutable(true));
        return root;
    }

    private Started start(Path root, String javaOpts) throws Exception {
        return start(root, javaOpts, "--version");
    }

    private Started start(Path root, String javaOpts, String... args) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        List<String> command = new java.util.ArrayList<>(List.of("bash", root.resolve("wassette").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(tmp.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        pb.environment().put("WASSETTE_JAVA_OPTS", javaOpts);
        pb.environment().remove("WASSETTE_AOT");
        Process p = pb.start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("wassette " + String.join(" ", args) + " did not finish in 2 minutes:\n" + Files.readString(err));
        }
        return new Started(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Waits, within the bound, until no recording holds its lock (the lock goes when the recording has ended either way). */
    private static void awaitRecordings(Path jvm) throws Exception {
        long deadline = System.nanoTime() + RECORDING_BOUND.toNanos();
        while (names(jvm).stream().anyMatch(f -> f.endsWith(".lock"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("AOT cache recordings still running after " + RECORDING_BOUND + ": " + names(jvm));
            }
            Thread.sleep(500);
        }
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property " + name + " is not set (run through Maven's verify)");
        }
        return value;
    }
}

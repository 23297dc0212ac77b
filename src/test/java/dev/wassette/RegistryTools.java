package dev.wassette;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real OCI tools the registry tests drive, installed (once, cached outside the repo) by
 * scripts/setup-registry-tools.sh: the CNCF distribution registry, go-containerregistry's registry,
 * oras, wkg, cosign v2 and v3, Prometheus' promtool and the deployment files' check (BuildKit's Dockerfile frontend, k8s.io/api). A missing tool fails the test; nothing is skipped.
 */
public final class RegistryTools {
    /** Paths of the binaries. */
    public record Tools(Path distribution, Path ggcr, Path oras, Path wkg, Path cosign2, Path cosign3, Path referrersRegistry, Path promtool, Path deployCheck) {}

    /** A finished command. */
    public record Result(int code, String output) {}

    private static Tools tools;

    private RegistryTools() {}

    /** The project root (Surefire sets {@code basedir}). */
    public static Path root() {
        Path root = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        if (!Files.isRegularFile(root.resolve("scripts/setup-registry-tools.sh"))) {
            fail("cannot find scripts/setup-registry-tools.sh under " + root + " (run the tests from the project root through Maven)");
        }
        return root;
    }

    /** Runs the setup script (instant when everything is installed) and returns the binaries. */
    public static synchronized Tools get() {
        if (tools == null) {
            // The script prints shell assignments; let bash decode them.
            Result r = run(List.of("bash", "-c", "set -e; eval \"$(scripts/setup-registry-tools.sh)\"; "
                    + "printf '%s\\n' \"$DISTRIBUTION_REGISTRY\" \"$GGCR_REGISTRY\" \"$ORAS\" \"$WKG\" \"$COSIGN2\" \"$COSIGN3\" \"$REFERRERS_REGISTRY\" \"$PROMTOOL\" \"$DEPLOY_CHECK\""), root(), Map.of(),
                    Duration.ofMinutes(60));
            if (r.code() != 0) {
                fail("scripts/setup-registry-tools.sh failed (exit " + r.code() + "):\n" + r.output());
            }
            List<String> lines = r.output().lines().filter(l -> !l.startsWith("setup-registry-tools:") && !l.startsWith("go: ") && !l.isBlank()).toList();
            List<Path> paths = lines.subList(lines.size() - 9, lines.size()).stream().map(Path::of).toList();
            for (Path p : paths) {
                if (!Files.isExecutable(p)) {
                    fail("setup-registry-tools.sh named " + p + ", which is not an executable:\n" + r.output());
                }
            }
            tools = new Tools(paths.get(0), paths.get(1), paths.get(2), paths.get(3), paths.get(4), paths.get(5), paths.get(6), paths.get(7), paths.get(8));
        }
        return tools;
    }

    /** Runs a command to completion (stderr merged into stdout), killing it after {@code timeout}. */
    public static Result run(List<String> command, Path dir, Map<String, String> env, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
            p.getOutputStream().close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
        StringBuffer out = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("(output unreadable: ").append(e.getMessage()).append(")");
            }
        });
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                reader.join(5_000);
                fail(String.join(" ", command.subList(0, Math.min(3, command.size()))) + " … did not finish within " + timeout + "; output:\n" + out);
            }
            reader.join(30_000);
            return new Result(p.exitValue(), out.toString());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.getFirst(), e);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    public static String check(List<String> command, Path dir, Map<String, String> env) {
        Result r = run(command, dir, env, Duration.ofMinutes(2));
        if (r.code() != 0) {
            fail(String.join(" ", command) + " exited " + r.code() + ":\n" + r.output());
        }
        return r.output();
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * MCP clients from src/test/mcp-clients (the TypeScript SDK and the conformance suite, and in
 * python/ the Python SDK), installed by their setup scripts into a tools directory outside the repo.
 * Missing node or python3 is a test failure, never a skip.
 */
final class McpClientTools {
    record Result(int code, String output, long millis) {}

    private static Path installDir;

    private McpClientTools() {}

    /** The project root (Maven runs tests there; {@code basedir} is set by Surefire). */
    static Path root() {
        Path root = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        if (!Files.isRegularFile(root.resolve("src/test/mcp-clients/package.json"))) {
            fail("cannot find src/test/mcp-clients under " + root + " (run the tests from the project root through Maven)");
        }
        return root;
    }

    static Path clientsDir() {
        return root().resolve("src/test/mcp-clients");
    }

    /** Fails clearly unless node (20.18+) is on PATH; returns its version. */
    static String requireNode() {
        Result r;
        try {
            r = run(List.of("node", "--version"), Map.of(), root(), 30);
        } catch (RuntimeException e) {
            throw new AssertionError("node is required for the MCP client tests but could not be run (" + e.getMessage()
                    + "); install Node.js 20.18+ and put `node` and `npm` on PATH", e);
        }
        if (r.code() != 0) {
            fail("`node --version` exited " + r.code() + ": " + r.output());
        }
        return r.output().strip();
    }

    /** Runs setup.sh (idempotent: instant when the stamp matches) and returns the install directory. */
    static synchronized Path setup() {
        if (installDir == null) {
            requireNode();
            Result r = run(List.of("bash", clientsDir().resolve("setup.sh").toString()), Map.of(), root(), 600);
            if (r.code() != 0) {
                fail("src/test/mcp-clients/setup.sh failed (exit " + r.code() + "):\n" + r.output());
            }
            List<String> lines = r.output().lines().filter(l -> !l.startsWith("mcp-clients setup:") && !l.isBlank()).toList();
            Path dir = Path.of(lines.getLast().strip());
            if (!Files.isDirectory(dir.resolve("node_modules/@modelcontextprotocol/sdk"))) {
                fail("setup.sh printed " + dir + " but it holds no @modelcontextprotocol/sdk:\n" + r.output());
            }
            installDir = dir;
        }
        return installDir;
    }

    private static Path python;

    /**
     * Runs python/setup.sh (idempotent: instant when its stamp matches), which installs the Python
     * MCP SDK pinned in python/requirements.lock into a virtual environment; returns its python.
     */
    static synchronized Path pythonSetup() {
        if (python == null) {
            Result r = run(List.of("bash", clientsDir().resolve("python/setup.sh").toString()), Map.of(), root(), 600);
            if (r.code() != 0) {
                fail("src/test/mcp-clients/python/setup.sh failed (exit " + r.code() + "):\n" + r.output());
            }
            Path exe = Path.of(r.output().lines().filter(l -> !l.startsWith("mcp-python setup:") && !l.isBlank()).toList().getLast().strip());
            if (!Files.isExecutable(exe)) {
                fail("python/setup.sh printed " + exe + ", which is not an executable:\n" + r.output());
            }
            python = exe;
        }
        return python;
    }

    /** The command that runs the stdio server from the test classpath, like the launcher does. */
    static List<String> javaServerCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs a command to completion (stderr merged into stdout), killing it after {@code timeoutSeconds}. */
    static Result run(List<String> command, Map<String, String> env, Path dir, long timeoutSeconds) {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // nothing to send anyway
        }
        StringBuffer out = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                reader.join(5_000);
                fail(String.join(" ", command.subList(0, Math.min(3, command.size()))) + " … did not finish within "
                        + timeoutSeconds + " s; output so far:\n" + out);
            }
            reader.join(30_000);
            return new Result(p.exitValue(), out.toString(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new RuntimeException("interrupted while running " + command.getFirst(), e);
        }
    }

    private static void copy(InputStream in, StringBuffer out) {
        char[] buf = new char[8192];
        try (java.io.Reader r = new java.io.InputStreamReader(in, StandardCharsets.UTF_8)) {
            for (int n; (n = r.read(buf)) > 0; ) {
                out.append(buf, 0, n);
            }
        } catch (IOException e) {
            out.append("\n(output unreadable: ").append(e.getMessage()).append(")\n");
        }
    }
}

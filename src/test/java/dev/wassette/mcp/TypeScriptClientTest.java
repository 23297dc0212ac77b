package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.TestRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official TypeScript MCP SDK client (src/test/mcp-clients/stdio-client.mjs) drives {@code wassette run}
 * over stdio: initialize, tool lists, load/unload with list_changed notifications, nested arguments and
 * structured results, argument errors, traps with their guest backtrace, a storage grant that turns a denied read into a
 * read, grants WASI cannot enforce refused, a spinning call cancelled, a denied HTTP request reported with its reason, and the
 * types component loaded again from a registry (the CNCF distribution registry, pushed there by {@code wkg}) with progress.
 */
class TypeScriptClientTest {
    @TempDir
    Path tmp;

    @Test
    void sdkClientSessionOverStdio() throws java.io.IOException {
        List<String> server = McpClientTools.javaServerCommand("run", "--component-dir", tmp.resolve("components").toString(),
                "--secrets-dir", tmp.resolve("secrets").toString(), "--config", tmp.resolve("no-config.toml").toString());
        transcript("over stdio", server, Map.of(), "loaded");
    }

    /** The same session through wassette-shim, served by the per-user daemon it starts. */
    @Test
    void sdkClientSessionThroughTheDaemon() throws Exception {
        Path runtime = java.nio.file.Files.createDirectory(tmp.resolve("rt"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        List<String> javaCommand = McpClientTools.javaServerCommand();
        String identity = "ts-" + java.util.UUID.randomUUID();
        List<String> server = new ArrayList<>(List.of(System.getProperty("wassette.shim"), identity));
        server.addAll(javaCommand);
        server.addAll(List.of("--", "--component-dir", tmp.resolve("components").toString(),
                "--secrets-dir", tmp.resolve("secrets").toString(), "--config", tmp.resolve("no-config.toml").toString()));
        Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtime.toString(), "WASSETTE_DAEMON_IDLE", "1s");
        try {
            transcript("through the daemon", server, env, "loaded");
            String log = daemonLog(runtime);
            assertTrue(log.contains("daemon: session 1 opened"), "a daemon served the session:\n" + log);
            // Node gives a child sockets (a socketpair) as its stdio: the daemon reads and writes them itself.
            assertTrue(log.contains("(its stdio passed to the daemon)"), "on the client's own stdio:\n" + log);

            // The daemon exits after its idle second; the next session's shim answers the SDK client's
            // opening from what that daemon recorded, while it starts another, which serves the rest.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (daemonLog(runtime).lines().noneMatch(l -> l.contains("wassette daemon stopping"))) {
                assertTrue(System.nanoTime() < deadline, "the idle daemon did not stop within 60 s");
                Thread.sleep(50);
            }
            while (ProcessHandle.allProcesses().anyMatch(p -> p.isAlive() && dev.wassette.Processes.arguments(p).contains("daemon")
                    && String.join(" ", dev.wassette.Processes.arguments(p)).contains(runtime.toString()))) {
                assertTrue(System.nanoTime() < deadline, "the idle daemon did not exit within 60 s");
                Thread.sleep(50);
            }
            // The start lock held until the shim has written to the client (its answers: it writes
            // nothing else before the daemon takes over), so the daemon cannot be up first.
            // The store keeps the first session's types (loaded from the registry). The new daemon
            // lists it from its metadata and loads its code in the background: load-component finds
            // it loaded ("reloaded") if that came first, else not yet ("loaded").
            java.util.concurrent.CompletableFuture<String> second;
            try (var held = dev.wassette.DaemonStartLock.hold(runtime.resolve("wassette"))) {
                second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return transcript("through a new daemon, opened by the shim", server, env, "loaded|reloaded");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                while (bytesWrittenByShim(identity) == 0) {
                    assertTrue(System.nanoTime() < deadline + java.util.concurrent.TimeUnit.SECONDS.toNanos(60) && !second.isDone(),
                            "the shim wrote no answer while the daemon could not start");
                    Thread.sleep(20);
                }
            }
            second.get(200, java.util.concurrent.TimeUnit.SECONDS);
            String next = daemonLog(runtime);
            assertTrue(next.contains("(its stdio passed to the daemon; the shim answered "), "the shim answered the opening:\n" + next);
        } finally {
            ProcessHandle.allProcesses().filter(p -> String.join(" ", dev.wassette.Processes.arguments(p)).contains(runtime.toString()))
                    .forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Bytes the running shim of {@code identity} has written ({@code wchar} of /proc/PID/io); 0 while none runs. */
    private static long bytesWrittenByShim(String identity) throws java.io.IOException {
        var shim = ProcessHandle.allProcesses().filter(p -> {
            List<String> args = dev.wassette.Processes.arguments(p);
            return args.size() > 1 && args.get(0).endsWith("wassette-shim") && args.get(1).equals(identity);
        }).findFirst();
        if (shim.isEmpty()) {
            return 0;
        }
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc", String.valueOf(shim.get().pid()), "io"))) {
                if (line.startsWith("wchar:")) {
                    return Long.parseLong(line.substring("wchar:".length()).strip());
                }
            }
        } catch (java.nio.file.NoSuchFileException exited) {
            // gone between the look and the read
        }
        return 0;
    }

    /** The log of the test's daemons (one key: one file, appended to by each daemon). */
    private static String daemonLog(Path runtime) throws java.io.IOException {
        try (var logs = java.nio.file.Files.list(runtime.resolve("wassette"))) {
            return java.nio.file.Files.readString(logs.filter(f -> f.toString().endsWith(".log")).findFirst().orElseThrow());
        }
    }

    /** The client's session against {@code server}; its first load-component says "component {@code loadStatus} successfully" ({@code loadStatus} a regex). */
    private String transcript(String how, List<String> server, Map<String, String> env, String loadStatus) throws java.io.IOException {
        Path sdk = McpClientTools.setup();
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            String ref = registry.ref("wassette/types:1.0");
            registry.wkgPush(uniqueCopy(Fixtures.path("types.wasm")), "wassette/types:1.0");
            List<String> cmd = new ArrayList<>(List.of("node", McpClientTools.clientsDir().resolve("stdio-client.mjs").toString(),
                    "--fixtures", Fixtures.dir().toAbsolutePath().toString(), "--oci", ref, "--"));
            cmd.addAll(server);
            Map<String, String> environment = new java.util.HashMap<>(env);
            environment.put("WASSETTE_MCP_CLIENTS", sdk.toString());
            return check(how, McpClientTools.run(cmd, environment, McpClientTools.root(), 180), loadStatus);
        }
    }

    /**
     * The component with a custom section naming this run appended (a component may carry custom
     * sections anywhere): its blob is new to the cache, so the server downloads it and reports progress.
     */
    private Path uniqueCopy(Path component) throws java.io.IOException {
        byte[] name = "wassette-test-run".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] payload = java.util.UUID.randomUUID().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(java.nio.file.Files.readAllBytes(component));
        out.write(0); // custom section; its size, name length and name are below 128, so one LEB128 byte each
        out.write(1 + name.length + payload.length);
        out.write(name.length);
        out.writeBytes(name);
        out.writeBytes(payload);
        return java.nio.file.Files.write(tmp.resolve("types.wasm"), out.toByteArray());
    }

    private String check(String how, McpClientTools.Result r, String loadStatus) {
        System.out.println("=== TypeScript SDK client " + how + " (" + r.millis() + " ms, exit " + r.code() + ") ===");
        System.out.println(r.output());
        assertEquals(0, r.code(), () -> "stdio-client.mjs failed (exit " + r.code() + "):\n" + r.output());
        String out = r.output();
        for (String line : List.of(
                "ok   initialize: server wassette-java",
                "ok   tools/list (built-ins): ",
                "got notifications/tools/list_changed",
                "ok   tools/list (types): ",
                "ok   call echo-record: structuredContent.result {\"name\":\"nested\",\"retries\":3,\"ratio\":0.25,\"tags\":[\"a\",\"b c\",\"ü\"],\"origin\":{\"x\":-7,\"y\":2147483647}}",
                "ok   call echo-record (retries 300): isError, ",
                "ok   call divide(1, 0): structuredContent {\"result\":{\"err\":\"division by zero\"}}",
                "ok   call crash: isError",
                "ok   call crash (backtrace): ",
                "ok   invocation log (crash): ",
                "ok   call read-file (no grant): structuredContent {\"result\":{\"err\":\"Capabilities insufficient",
                "ok   call read-file (no grant, report): Files: the component's policy grants it no directory",
                "ok   grant-storage-permission: ",
                "ok   grant-storage-permission (single file): refused: ",
                "ok   grant-storage-permission (write only): refused: ",
                "ok   call read-file (granted): structuredContent {\"result\":{\"ok\":\"hello from the TypeScript client\\n\"}}",
                "ok   cancel spin: aborted; ",
                "ok   call http-get (denied): Denied by the component's policy: - network: HTTP https://api.example.org:443 denied",
                "ok   unload-component types: got notifications/tools/list_changed",
                "ok   load-component oci: id types from oci://",
                "ok   load-component oci (progress): ",
                "ok   call add (oci): structuredContent {\"result\":42}",
                "ok   list-components (oci): types: source oci://",
                "ok   close: ",
                "PASS stdio-client")) {
            assertTrue(out.contains(line), () -> "transcript lacks \"" + line + "\":\n" + out);
        }
        assertTrue(out.lines().anyMatch(l -> l.matches("ok   load-component types: status \"component (" + loadStatus + ") successfully\", id types.*")),
                () -> "transcript lacks the load-component of types (" + loadStatus + "):\n" + out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("ok   call echo-record (retries 300): isError") && l.contains("args.v.retries")),
                () -> "the retries: 300 error does not name args.v.retries:\n" + out);
        assertTrue(out.lines().noneMatch(l -> l.startsWith("FAIL")), out);
        return out;
    }
}

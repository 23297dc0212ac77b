package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `wassette run` and the component store shared with other processes: the CLI changing the store
 * of a running server, and a restarted server listing stored components' tools at once.
 */
class StoreSyncTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";

    @TempDir
    Path dir;
    private Process server;
    private OutputStream toServer;
    private final BlockingQueue<JsonNode> fromServer = new LinkedBlockingQueue<>();
    private final List<JsonNode> notifications = new ArrayList<>();
    private int nextId = 1;

    private Path components() {
        return dir.resolve("store").resolve("components");
    }

    private static List<String> java(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void startServer() throws IOException {
        server = new ProcessBuilder(java("run", "--component-dir", components().toString(), "--secrets-dir", dir.resolve("secrets").toString()))
                .redirectError(dir.resolve("server-stderr.log").toFile()).start();
        toServer = server.getOutputStream();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    fromServer.add(JSON.readTree(line)); // stdout must carry JSON only: anything else fails here
                }
            } catch (IOException e) {
                fromServer.add(JSON.createObjectNode().put("reader-failed", String.valueOf(e.getMessage())));
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Another process: the CLI against the same store. */
    private String cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(args));
        cmd.addAll(List.of("--component-dir", components().toString()));
        Process p = new ProcessBuilder(java(cmd.toArray(String[]::new))).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "CLI finished: " + output);
        assertEquals(0, p.exitValue(), output);
        return output;
    }

    private void send(String method, Object params, Integer id) throws IOException {
        var msg = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method);
        if (id != null) {
            msg.put("id", id);
        }
        if (params != null) {
            msg.set("params", JSON.valueToTree(params));
        }
        toServer.write((msg + "\n").getBytes(StandardCharsets.UTF_8));
        toServer.flush();
    }

    /** The next message matching {@code wanted}, remembering notifications passed over; fails at the deadline. */
    private JsonNode await(Predicate<JsonNode> wanted, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode m = left <= 0 ? null : fromServer.poll(left, TimeUnit.NANOSECONDS);
            if (m == null) {
                throw new AssertionError("no " + what + " within " + WAIT + "; notifications so far: " + notifications);
            }
            assertFalse(m.has("reader-failed"), m.toString());
            assertEquals("2.0", m.path("jsonrpc").asText(), m.toString());
            if (!m.has("id")) {
                notifications.add(m);
            }
            if (wanted.test(m)) {
                return m;
            }
        }
    }

    private JsonNode request(String method, Object params) throws Exception {
        int id = nextId++;
        send(method, params, id);
        return await(m -> m.path("id").asInt(-1) == id && (m.has("result") || m.has("error")), "response to " + method).path("result");
    }

    private void awaitListChanged() throws InterruptedException {
        await(m -> "notifications/tools/list_changed".equals(m.path("method").asText()), "notifications/tools/list_changed");
    }

    /**
     * Lists tools until {@code condition} holds, failing at the deadline. The SDK sends a
     * list_changed per tool added or removed, so a list made on the first one may still be partial.
     */
    private void awaitTools(Predicate<Set<String>> condition, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long seen = listChangedSeen();
            Set<String> tools = toolNames(request("tools/list", null));
            if (condition.test(tools)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("tools/list never showed " + what + ": " + tools);
            }
            if (listChangedSeen() == seen) { // none arrived with that answer: wait for the next
                awaitListChanged();
            }
        }
    }

    private long listChangedSeen() {
        return notifications.stream().filter(n -> n.path("method").asText().equals("notifications/tools/list_changed")).count();
    }

    private void initialize() throws IOException {
        send("initialize", java.util.Map.of("protocolVersion", "2025-06-18", "capabilities", java.util.Map.of(),
                "clientInfo", java.util.Map.of("name", "store-sync", "version", "1")), nextId++);
        send("notifications/initialized", null, null);
    }

    private Set<String> toolNames(JsonNode listResult) {
        Set<String> names = new TreeSet<>();
        listResult.path("tools").forEach(t -> names.add(t.path("name").asText()));
        return names;
    }

    private JsonNode call(String tool, Object arguments) throws Exception {
        return request("tools/call", java.util.Map.of("name", tool, "arguments", arguments));
    }

    @Test
    void componentsLoadedAndUnloadedFromTheShellReachTheRunningServer() throws Exception {
        assertFalse(Files.exists(components()), "the store directory appears only when the CLI first writes to it");
        startServer();
        initialize();
        assertFalse(toolNames(request("tools/list", null)).contains(ADD));

        cli("component", "load", Fixtures.path("types.wasm").toString());
        awaitListChanged();
        awaitTools(t -> t.containsAll(Set.of(ADD, "greet")), "the loaded component's tools");
        assertEquals(42, call(ADD, java.util.Map.of("a", 40, "b", 2)).path("structuredContent").path("result").asInt());

        // Replaced under the same id by a different component: its tools replace the old ones.
        notifications.clear();
        cli("component", "load", Fixtures.path("echo.wat").toString(), "--id", "types");
        awaitListChanged();
        awaitTools(t -> t.contains("echo") && !t.contains(ADD), "the replacement's tools instead of the old ones");
        assertEquals("same", call("echo", java.util.Map.of("s", "same")).path("structuredContent").path("result").asText());

        notifications.clear();
        cli("component", "unload", "types");
        awaitListChanged();
        awaitTools(t -> !t.contains("echo"), "the unloaded component's tools to go");
        int id = nextId++;
        send("tools/call", java.util.Map.of("name", "echo", "arguments", java.util.Map.of("s", "x")), id);
        JsonNode gone = await(m -> m.path("id").asInt(-1) == id, "response to the call of an unloaded tool");
        assertEquals("Unknown tool: echo", gone.path("error").path("message").asText(), gone.toString());
    }

    @Test
    void theFirstToolsListAfterARestartHasTheStoredComponentsTools() throws Exception {
        cli("component", "load", Fixtures.path("types.wasm").toString());
        // A 12 MB JavaScript component: loading its code takes long enough that a list made before
        // it finishes would miss its tool.
        cli("component", "load", Fixtures.path("fetch.wasm").toString());
        assertTrue(Files.isRegularFile(components().resolve("fetch.tools.json")));

        startServer();
        initialize();
        send("tools/list", null, nextId); // at once, without waiting for the initialize response
        int listId = nextId++;
        JsonNode first = await(m -> m.path("id").asInt(-1) == listId, "the first tools/list").path("result");
        assertTrue(toolNames(first).containsAll(Set.of(ADD, "greet", "http-get")), toolNames(first).toString());
        JsonNode add = first.path("tools").findParents("name").stream().filter(t -> ADD.equals(t.path("name").asText())).findFirst().orElseThrow();
        assertEquals(Set.of("a", "b"), fieldNames(add.path("inputSchema").path("properties")));

        assertEquals(42, call(ADD, java.util.Map.of("a", 40, "b", 2)).path("structuredContent").path("result").asInt());
        assertEquals("Hello, restart!", call("greet", java.util.Map.of("name", "restart")).path("content").get(0).path("text").asText());
        // The big component's call waits for its code, then runs (and is refused the network by its empty policy).
        JsonNode fetch = call("http-get", java.util.Map.of("url", "https://example.org/"));
        assertTrue(fetch.path("structuredContent").path("result").has("err"), fetch.toString());
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> out = new TreeSet<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    @Test
    void theHttpServerFollowsTheStoreToo() throws Exception {
        var settings = dev.wassette.host.ComponentHost.Settings.builder().componentDir(components()).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(java.util.Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build();
        java.util.concurrent.BlockingQueue<List<String>> changes = new LinkedBlockingQueue<>();
        try (var host = new dev.wassette.host.ComponentHost(Fixtures.engine(), settings);
             var http = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"));
             var shell = new dev.wassette.host.ComponentHost(Fixtures.engine(), settings); // the other process, in effect
             var client = io.modelcontextprotocol.client.McpClient.sync(
                             io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + http.address().getPort())
                                     .endpoint("/mcp").build())
                     .requestTimeout(WAIT)
                     .toolsChangeConsumer(tools -> changes.add(tools.stream().map(io.modelcontextprotocol.spec.McpSchema.Tool::name).toList()))
                     .build()) {
            client.initialize();
            shell.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<String> tools = List.of();
            while (!tools.contains(ADD)) {
                tools = changes.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (tools == null) {
                    throw new AssertionError("no tools/list_changed with " + ADD + " within " + WAIT);
                }
            }
            var result = client.callTool(new io.modelcontextprotocol.spec.McpSchema.CallToolRequest(ADD, java.util.Map.of("a", 1, "b", 2)));
            assertEquals(java.util.Map.of("result", 3), result.structuredContent());
        }
    }

    @Test
    void toolsListedFromMetadataStayAsTheyAreWhenTheCodeLoads() throws Exception {
        var settings = dev.wassette.host.ComponentHost.Settings.builder().componentDir(components()).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(java.util.Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build();
        try (var shell = new dev.wassette.host.ComponentHost(Fixtures.engine(), settings)) {
            shell.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
            shell.load("echo", Files.readAllBytes(Fixtures.path("echo.wat")));
        }
        Files.delete(components().resolve("echo.tools.json")); // as if stored by an older version
        try (var host = new dev.wassette.host.ComponentHost(Fixtures.engine(), settings);
             var server = new WassetteMcpServer(host, true)) {
            Thread loading = server.loadStoredComponents();
            server.streamable(io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider.builder()
                    .jsonMapper(server.jsonMapper()).mcpEndpoint("/mcp").build());
            List<ToolRegistry.Entry> listed = server.toolsOf("types");
            assertTrue(listed.stream().anyMatch(e -> e.toolName().equals(ADD)), listed.toString());
            // "echo" has no metadata: it is listed once its code has loaded (that may already have
            // happened here, so only the end state is checked below).
            loading.join(WAIT);
            assertFalse(loading.isAlive());
            assertTrue(host.component("types") != null && host.component("echo") != null);
            // Not re-registered (which would send a list_changed per tool): the very same entries.
            List<ToolRegistry.Entry> after = server.toolsOf("types");
            assertEquals(listed.size(), after.size());
            for (int i = 0; i < listed.size(); i++) {
                org.junit.jupiter.api.Assertions.assertSame(listed.get(i), after.get(i));
            }
            assertEquals(List.of("echo"), server.toolsOf("echo").stream().map(ToolRegistry.Entry::toolName).toList());
            assertTrue(Files.isRegularFile(components().resolve("echo.tools.json")), "metadata written when it was loaded");
        }
    }
}

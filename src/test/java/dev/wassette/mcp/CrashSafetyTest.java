package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentStore;
import dev.wassette.policy.Policy;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of {@code wassette serve} while a client loads and unloads a component and grants
 * permissions, again and again: on every restart the store loads, what was acknowledged is there,
 * the change in flight is there whole or not at all, and the server serves.
 */
class CrashSafetyTest {
    private static final Duration BOUND = Duration.ofSeconds(90);
    private static final int ROUNDS = 6;
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";

    @TempDir
    Path dir;

    /** What the client was told was done, and what it asked for last without an answer. */
    private static final class Acknowledged {
        final List<String> hosts = java.util.Collections.synchronizedList(new ArrayList<>());
        String hostInFlight;
        boolean ioLoaded;
        Boolean ioInFlight;
    }

    @Test
    void killedWhileChangingTheStoreItRestartsWithEveryAcknowledgedChangeAndNothingHalfDone() throws Exception {
        Random random = new Random(42);
        Acknowledged state = new Acknowledged();
        int grant = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Process server = serve("round-" + round);
            try {
                String base = "http://127.0.0.1:" + port(server, "round-" + round);
                try (McpSyncClient client = client(base)) {
                    check(client, state, round);
                    if (round == 0) {
                        assertFalse(client.callTool(load("types.wasm")).isError());
                    }
                    // The changes run on their own thread; the process is killed under them at a random moment.
                    int first = grant;
                    int before = state.hosts.size();
                    Thread changes = Thread.ofPlatform().daemon().start(() -> change(client, state, first));
                    // Killed once this round has had a change acknowledged, at a random moment after.
                    long deadline = System.nanoTime() + BOUND.toNanos();
                    while (state.hosts.size() == before && changes.isAlive() && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    assertTrue(state.hosts.size() > before, "round " + round + ": a change was acknowledged");
                    Thread.sleep(random.nextInt(600));
                    server.destroyForcibly(); // SIGKILL
                    assertTrue(server.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
                    changes.join(BOUND.toMillis());
                    assertFalse(changes.isAlive(), "the client noticed the server was gone");
                    grant = first + state.hosts.size() + (state.hostInFlight != null ? 1 : 0) + 1;
                }
            } finally {
                server.destroyForcibly();
            }
        }
        Process last = serve("last");
        try (McpSyncClient client = client("http://127.0.0.1:" + port(last, "last"))) {
            check(client, state, ROUNDS);
        } finally {
            last.destroyForcibly();
        }
    }

    /** Grants hosts one by one and loads or unloads io every third one, recording each answer, until the server dies. */
    private void change(McpSyncClient client, Acknowledged state, int first) {
        for (int k = first; ; k++) {
            String host = "h" + k + ".example.com";
            state.hostInFlight = host;
            try {
                McpSchema.CallToolResult granted = client.callTool(new McpSchema.CallToolRequest("grant-network-permission",
                        Map.of("component_id", "types", "details", Map.of("host", host))));
                assertFalse(granted.isError(), granted::toString);
            } catch (RuntimeException e) {
                return; // the server is gone: this grant may or may not have been stored
            }
            state.hosts.add(host);
            state.hostInFlight = null;
            if (k % 3 == 0) {
                boolean load = !state.ioLoaded;
                state.ioInFlight = load;
                try {
                    McpSchema.CallToolResult done = client.callTool(load ? load("io.wasm")
                            : new McpSchema.CallToolRequest("unload-component", Map.of("id", "io")));
                    assertFalse(done.isError(), done::toString);
                } catch (RuntimeException e) {
                    return;
                }
                state.ioLoaded = load;
                state.ioInFlight = null;
            }
        }
    }

    /** After a restart: the store and the served components are as acknowledged, the in-flight change whole or absent. */
    private void check(McpSyncClient client, Acknowledged state, int round) throws Exception {
        if (round == 0) {
            return;
        }
        Policy policy = new ComponentStore(dir.resolve("components")).policy("types");
        Set<String> granted = new HashSet<>();
        policy.networkAllow().forEach(rule -> granted.add(rule.host()));
        Set<String> expected = new HashSet<>(state.hosts);
        assertTrue(granted.containsAll(expected), "round " + round + ": every acknowledged grant is stored: " + granted + " ⊇ " + expected);
        if (state.hostInFlight != null) {
            expected.add(state.hostInFlight); // the grant in flight: stored whole, or not at all
            state.hosts.clear();
            state.hosts.addAll(granted);
            state.hostInFlight = null;
        }
        assertTrue(expected.containsAll(granted), "round " + round + ": nothing but what was asked: " + granted);

        Object listed = client.callTool(new McpSchema.CallToolRequest("list-components", Map.of())).structuredContent();
        boolean ioServed = listed.toString().contains("id=io");
        if (state.ioInFlight != null) {
            assertTrue(ioServed == state.ioLoaded || ioServed == state.ioInFlight, "round " + round + ": io is loaded or not, " + listed);
            state.ioLoaded = ioServed;
            state.ioInFlight = null;
        } else {
            assertEquals(state.ioLoaded, ioServed, "round " + round + ": io as acknowledged: " + listed);
        }
        assertTrue(listed.toString().contains("id=types"), listed::toString);
        assertEquals(Map.of("result", 7), client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 3, "b", 4))).structuredContent(),
                "round " + round + ": the stored component serves");
    }

    private static McpSchema.CallToolRequest load(String fixture) {
        return new McpSchema.CallToolRequest("load-component", Map.of("path", Fixtures.path(fixture).toUri().toString()));
    }

    private static McpSyncClient client(String base) {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(30)).build();
        client.initialize();
        return client;
    }

    private Process serve(String name) throws java.io.IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli",
                "serve", "--bind-address", "127.0.0.1:0", "--allowed-host", "127.0.0.1",
                "--component-dir", dir.resolve("components").toString(), "--secrets-dir", dir.resolve("secrets").toString(),
                "--config", dir.resolve("no-config.toml").toString())
                .redirectError(dir.resolve("stderr-" + name + ".log").toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The port the server says it listens on, once its stored components are loaded (bounded wait). */
    private int port(Process server, String name) throws Exception {
        Path log = dir.resolve("stderr-" + name + ".log");
        Pattern listening = Pattern.compile("MCP server on http://127\\.0\\.0\\.1:(\\d+)/mcp");
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline && server.isAlive()) {
            Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                int port = Integer.parseInt(m.group(1));
                awaitReady(port);
                return port;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError(name + ": the server did not start:\n" + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    private static void awaitReady(int port) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var ready = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/ready")).build();
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            if (http.send(ready, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("the server on port " + port + " did not load its store within " + BOUND);
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two `wassette serve --stateless` processes on one shared component store behind a round-robin
 * reverse proxy (Jetty's):
 * one client's requests are spread across both, a component loaded through one is served by the
 * other, and a permission granted through one is in force on the other's next call.
 */
class StatelessScaleOutTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void oneClientSpreadAcrossTwoReplicasSeesOneStoreAndOnePolicy() throws Exception {
        Process a = replica("a");
        Process b = replica("b");
        Server proxy = new Server();
        try {
            int[] ports = {port("a"), port("b")};
            AtomicInteger next = new AtomicInteger();
            AtomicIntegerArray served = new AtomicIntegerArray(2);
            ServerConnector connector = new ServerConnector(proxy);
            connector.setHost("127.0.0.1");
            proxy.addConnector(connector);
            // Messages (POSTs) alternate between the replicas; anything else (a client's GET for a
            // stream, which a stateless server refuses) goes to the first and is not counted.
            proxy.setHandler(new ProxyHandler.Reverse(request -> {
                int backend = 0;
                if (request.getMethod().equals("POST")) {
                    backend = next.getAndIncrement() % 2;
                    served.incrementAndGet(backend);
                }
                return HttpURI.build(request.getHttpURI()).scheme("http").host("127.0.0.1").port(ports[backend]);
            }));
            proxy.start();
            try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + connector.getLocalPort())
                    .endpoint("/mcp").build()).requestTimeout(BOUND).build()) {
                client.initialize();
                McpSchema.CallToolResult loaded = client.callTool(new McpSchema.CallToolRequest("load-component",
                        Map.of("path", Fixtures.path("io.wasm").toString(), "id", "io")));
                assertFalse(loaded.isError(), loaded::toString);
                // The replica that did not load it follows the shared store.
                String getEnv = awaitTool(ports[0], "get-env");
                assertEquals(getEnv, awaitTool(ports[1], "get-env"));

                // Not granted: neither replica lets the component see the variable.
                for (int i = 0; i < 2; i++) {
                    assertFalse(client.callTool(new McpSchema.CallToolRequest(getEnv, Map.of("key", "API_KEY"))).toString().contains("shared-secret"));
                }
                // Granted through one replica: the next call on either sees it.
                assertFalse(client.callTool(new McpSchema.CallToolRequest("grant-environment-variable-permission",
                        Map.of("component_id", "io", "details", Map.of("key", "API_KEY")))).isError());
                int before0 = served.get(0);
                int before1 = served.get(1);
                for (int i = 0; i < 2; i++) {
                    McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest(getEnv, Map.of("key", "API_KEY")));
                    assertEquals("shared-secret", ((Map<?, ?>) r.structuredContent()).get("result"), r::toString);
                }
                assertEquals(1, served.get(0) - before0, "one of the two calls went to replica A");
                assertEquals(1, served.get(1) - before1, "and one to replica B");
            }
        } finally {
            proxy.stop();
            a.destroy();
            b.destroy();
            a.waitFor(10, TimeUnit.SECONDS);
            b.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A `wassette serve --stateless` process on the shared store, on a free port, logging to stderr-NAME.log. */
    private Process replica(String name) throws java.io.IOException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli",
                "serve", "--stateless", "--bind-address", "127.0.0.1:0", "--allowed-host", "127.0.0.1",
                "--component-dir", dir.resolve("components").toString(), "--secrets-dir", dir.resolve("secrets").toString(),
                "--config", dir.resolve("no-config.toml").toString())
                .redirectError(dir.resolve("stderr-" + name + ".log").toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("API_KEY", "shared-secret");
        return pb.start();
    }

    /** The port replica {@code name} says it listens on, waiting (bounded) for it to say so. */
    private int port(String name) throws Exception {
        Path log = dir.resolve("stderr-" + name + ".log");
        java.util.regex.Pattern listening = java.util.regex.Pattern.compile("MCP server on http://127\\.0\\.0\\.1:(\\d+)/mcp");
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            java.util.regex.Matcher m = listening.matcher(java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "");
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("replica " + name + " did not start within " + BOUND.toSeconds() + " s:\n"
                + (java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "(no log)"));
    }

    /** Waits (bounded) until the replica on {@code port} lists a tool whose name ends with {@code suffix}; its name. */
    private static String awaitTool(int port, String suffix) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest list = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).build();
        long deadline = System.nanoTime() + BOUND.toNanos();
        String answer = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = http.send(list, HttpResponse.BodyHandlers.ofString());
            answer = response.body();
            // One JSON body of known length: not an event stream, not chunked.
            assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""), response.headers().map().toString());
            assertEquals(answer.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, response.headers().firstValueAsLong("Content-Length").orElse(-1));
            for (var tool : new ObjectMapper().readTree(answer).path("result").path("tools")) {
                if (tool.path("name").asText().endsWith(suffix)) {
                    return tool.path("name").asText();
                }
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("replica on " + port + " lists no *" + suffix + " tool within " + BOUND.toSeconds() + " s: " + answer);
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streamable HTTP: health, readiness, the Host allow list, and a full session with the Java MCP SDK client. */
class HttpServerTest {
    @TempDir
    static Path dir;
    private static ComponentHost host;
    private static HttpMcpServer server;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
        server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("localhost", "127.0.0.1"));
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        host.close();
    }

    @Test
    void healthReadinessAndHostCheck() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        int ready;
        do {
            ready = http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } while (ready != 200 && System.nanoTime() < deadline);
        assertEquals(200, ready);
        // java.net.http refuses to set Host; a raw request shows what a DNS-rebinding page would send.
        try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
            s.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: evil.example:" + server.address().getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
            String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(head.startsWith("HTTP/1.1 403"), head);
        }
        HttpResponse<String> malformed = http.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{not json")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(malformed.body().startsWith("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700"), malformed.body());
        String badParams = post(http, "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"tools/call\",\"params\":\"x\"}").body();
        assertEquals("{\"jsonrpc\":\"2.0\",\"id\":77,\"error\":{\"code\":-32602,\"message\":\"Invalid params: params must be an object\"}}", badParams);
        String unknownTool = post(http, "{\"jsonrpc\":\"2.0\",\"id\":78,\"method\":\"tools/call\",\"params\":{\"name\":\"test_simple_text\"}}").body();
        assertTrue(unknownTool.contains("\"message\":\"Unknown tool: test_simple_text\""), unknownTool);
        HttpResponse<String> noSession = post(http, "{\"jsonrpc\":\"2.0\",\"id\":79,\"method\":\"tools/list\"}");
        assertFalse(noSession.body().contains("stackTrace"), noSession.body());
        HttpResponse<String> huge = post(http, "{\"jsonrpc\":\"2.0\",\"id\":80,\"method\":\"ping\",\"params\":{\"pad\":\"" + "a".repeat(5 << 20) + "\"}}");
        assertEquals(413, huge.statusCode());
        assertTrue(huge.body().contains("-32600"), huge.body());
        // Bodies of undeclared length (chunked) are read up to the same limit.
        HttpResponse<String> hugeChunked = postChunked(http, "{\"jsonrpc\":\"2.0\",\"id\":81,\"method\":\"ping\",\"params\":{\"pad\":\""
                + "a".repeat(5 << 20) + "\"}}");
        assertEquals(413, hugeChunked.statusCode());
        HttpResponse<String> chunked = postChunked(http, "{\"jsonrpc\":\"2.0\",\"id\":82,\"method\":\"initialize\",\"params\":{"
                + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"chunked\",\"version\":\"1\"}}}");
        assertEquals(200, chunked.statusCode(), chunked.body());
        assertTrue(chunked.body().contains("\"id\":82") && chunked.body().contains("\"serverInfo\""), chunked.body());
        // A page on another origin cannot drive the server from a browser.
        try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
            s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(head.startsWith("HTTP/1.1 403"), head);
        }
    }

    /** Posts {@code body} without a Content-Length (chunked). */
    private static HttpResponse<String> postChunked(HttpClient http, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return http.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bytes))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(HttpClient http, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void sessionWithTheJavaSdkClient() throws Exception {
        CountDownLatch listChanged = new CountDownLatch(1);
        try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(60))
                .toolsChangeConsumer(tools -> listChanged.countDown())
                .build()) {
            client.initialize();
            List<String> builtins = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
            assertTrue(builtins.containsAll(List.of("load-component", "unload-component", "list-components", "get-policy",
                    "grant-storage-permission", "grant-network-permission", "grant-environment-variable-permission",
                    "revoke-storage-permission", "revoke-network-permission", "revoke-environment-variable-permission", "reset-permission")), builtins.toString());

            McpSchema.CallToolResult loaded = client.callTool(new McpSchema.CallToolRequest("load-component",
                    Map.of("path", Fixtures.path("types.wasm").toUri().toString())));
            assertFalse(loaded.isError(), loaded.toString());
            assertTrue(listChanged.await(10, TimeUnit.SECONDS), "notifications/tools/list_changed");

            McpSchema.Tool echo = client.listTools().tools().stream().filter(t -> t.name().equals("wassette_fixtures_types_0_1_0_echo-variant"))
                    .findFirst().orElseThrow();
            assertTrue(((Map<?, ?>) echo.inputSchema().get("properties")).containsKey("v"), echo.inputSchema().toString());
            assertEquals("object", String.valueOf(echo.outputSchema().get("type")));

            McpSchema.CallToolResult variant = client.callTool(new McpSchema.CallToolRequest(echo.name(),
                    Map.of("v", Map.of("tag", "rect", "val", Map.of("x", 1, "y", 2)))));
            assertEquals(Map.of("result", Map.of("tag", "rect", "val", Map.of("x", 1, "y", 2))), variant.structuredContent());

            McpSchema.CallToolResult err = client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_divide", Map.of("a", 1, "b", 0)));
            assertFalse(err.isError(), "a WIT result err is a normal tool result");
            assertEquals(Map.of("result", Map.of("err", "division by zero")), err.structuredContent());

            McpSchema.CallToolResult grant = client.callTool(new McpSchema.CallToolRequest("grant-network-permission",
                    Map.of("component_id", "types", "details", Map.of("host", "api.example.com"))));
            assertFalse(grant.isError(), grant.toString());
            McpSchema.CallToolResult policy = client.callTool(new McpSchema.CallToolRequest("get-policy", Map.of("component_id", "types")));
            assertTrue(policy.structuredContent().toString().contains("api.example.com"), policy.toString());
            McpSchema.CallToolResult badGrant = client.callTool(new McpSchema.CallToolRequest("grant-network-permission",
                    Map.of("component_id", "types", "details", Map.of("cidr", "10.0.0.0/40"))));
            assertTrue(badGrant.isError());

            // Loading the same id again replaces the component; its tools keep working.
            McpSchema.CallToolResult reloaded = client.callTool(new McpSchema.CallToolRequest("load-component",
                    Map.of("path", Fixtures.path("types.wasm").toUri().toString())));
            assertEquals("component reloaded successfully", ((Map<?, ?>) reloaded.structuredContent()).get("status"), reloaded.toString());
            McpSchema.CallToolResult add = client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_add", Map.of("a", 1, "b", 2)));
            assertEquals(Map.of("result", 3), add.structuredContent());

            // A second component exposing the same tool names is refused, naming both.
            Path copy = java.nio.file.Files.copy(Fixtures.path("types.wasm"), dir.resolve("types-copy.wasm"));
            McpSchema.CallToolResult clash = client.callTool(new McpSchema.CallToolRequest("load-component", Map.of("path", copy.toUri().toString())));
            assertTrue(clash.isError());
            String clashText = ((McpSchema.TextContent) clash.content().getFirst()).text();
            assertTrue(clashText.contains("types-copy") && clashText.contains("already provided by component types"), clashText);
            // A registry nobody listens on: a clear error, nothing loaded.
            McpSchema.CallToolResult oci = client.callTool(new McpSchema.CallToolRequest("load-component", Map.of("path", "oci://127.0.0.1:1/x/y:1")));
            assertTrue(oci.isError());
            String ociText = ((McpSchema.TextContent) oci.content().getFirst()).text();
            assertTrue(ociText.contains("cannot load oci://127.0.0.1:1/x/y:1") && ociText.contains("connection refused"), ociText);
            assertFalse(java.nio.file.Files.exists(dir.resolve("components/y.wasm")), "nothing stored");

            McpSchema.CallToolResult unload = client.callTool(new McpSchema.CallToolRequest("unload-component", Map.of("id", "types")));
            assertFalse(unload.isError(), unload.toString());
            assertFalse(client.listTools().tools().stream().anyMatch(t -> t.name().startsWith("wassette_fixtures_types")));
        }
    }

    @Test
    void aProvisionedReadOnlyServerOverHttpServesExactlyItsComponents() throws Exception {
        Path own = java.nio.file.Files.createDirectories(dir.resolve("provisioned"));
        try (ComponentHost provisioned = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(own.resolve("components")).secretsDir(own.resolve("secrets")).baseDir(own)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build())) {
            provisioned.store().put("stray", java.nio.file.Files.readAllBytes(Fixtures.path("io.wasm"))); // in the store, not in the manifest
            Path manifest = java.nio.file.Files.writeString(own.resolve("manifest.yaml"), "components:\n  - uri: " + Fixtures.path("types.wasm").toUri() + "\n");
            var result = dev.wassette.host.Provisioner.provision(provisioned, dev.wassette.host.ProvisioningManifest.read(manifest), false,
                    WassetteMcpServer.distinctToolNames());
            assertEquals(List.of("types"), result.provisioned());
            try (HttpMcpServer readOnly = HttpMcpServer.start(provisioned, false, false, "127.0.0.1:0", List.of("127.0.0.1"));
                 McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + readOnly.address().getPort())
                         .endpoint("/mcp").build()).requestTimeout(Duration.ofSeconds(60)).build()) {
                client.initialize();
                List<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
                assertTrue(tools.stream().allMatch(t -> t.startsWith("wassette_fixtures_types_0_1_0_") || t.equals("greet")), tools.toString());
                assertEquals(Map.of("result", 5), client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_add", Map.of("a", 2, "b", 3)))
                        .structuredContent());
                var refused = org.junit.jupiter.api.Assertions.assertThrows(io.modelcontextprotocol.spec.McpError.class,
                        () -> client.callTool(new McpSchema.CallToolRequest("unload-component", Map.of("id", "types"))));
                assertTrue(refused.getMessage().contains("Unknown tool: unload-component"), refused.getMessage());
                HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + readOnly.address().getPort() + "/ready")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ready.statusCode(), "nothing left to load");
            }
        }
    }
}

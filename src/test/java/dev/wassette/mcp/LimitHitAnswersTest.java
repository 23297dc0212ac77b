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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A limit hit by a tool with a typed result (an output schema) is an {@code isError} answer with the
 * denial reported, like any failure. (Found by the soak run: the report's rebuild of the answer gave
 * the SDK a null structuredContent, and the client got a JSON-RPC internal error instead.)
 */
class LimitHitAnswersTest {
    @TempDir
    Path dir;

    @Test
    void aTimeoutOfAToolWithAnOutputSchemaIsAnIsErrorAnswerWithItsDenial() throws Exception {
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofMillis(200)).maxResultBytes(1 << 20).build());
             HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"));
             McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + server.address().getPort())
                     .endpoint("/mcp").build()).requestTimeout(Duration.ofSeconds(60)).build()) {
            client.initialize();
            assertFalse(client.callTool(new McpSchema.CallToolRequest("load-component", Map.of("path", Fixtures.path("spin.wasm").toUri().toString())))
                    .isError());
            McpSchema.Tool spin = client.listTools().tools().stream().filter(t -> t.name().equals("spin")).findFirst().orElseThrow();
            assertTrue(spin.outputSchema() != null, "spin returns a u64: it has an output schema");

            McpSchema.CallToolResult timedOut = client.callTool(new McpSchema.CallToolRequest("spin", Map.of()));
            assertTrue(timedOut.isError(), timedOut::toString);
            String text = ((McpSchema.TextContent) timedOut.content().getFirst()).text();
            assertTrue(text.contains("stopped at its deadline"), text);
            assertEquals("timeout", ((Map<?, ?>) ((List<?>) timedOut.meta().get("dev.wassette/denials")).getFirst()).get("category"), timedOut::toString);
            assertEquals(Map.of("result", 42), client.callTool(new McpSchema.CallToolRequest("ok", Map.of())).structuredContent(),
                    "the component serves on");
        }
    }
}

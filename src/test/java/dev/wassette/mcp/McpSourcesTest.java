package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.TestRegistry;
import dev.wassette.host.ComponentHost;
import dev.wassette.source.SourceSettings;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code load-component} with OCI sources, driven by the Java SDK client over streamable HTTP:
 * progress notifications for the client's progressToken, source and digest in the result and in
 * {@code list-components}, the policy layer shown as declared permissions but not in force, and bad
 * sources refused with nothing stored.
 */
class McpSourcesTest {
    @TempDir
    Path dir;

    @Test
    void loadFromARegistryWithProgress() throws Exception {
        Files.copy(Fixtures.path("types.wasm"), dir.resolve("types.wasm"));
        Files.writeString(dir.resolve("config.json"), "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}");
        Files.writeString(dir.resolve("policy.yaml"), "version: \"1.0\"\npermissions:\n  environment:\n    allow: [{key: HOME}]\n");
        Path components = dir.resolve("components");
        try (TestRegistry registry = TestRegistry.distribution(dir.resolve("registry"));
             ComponentHost host = new ComponentHost(Fixtures.engine(), new ComponentHost.Settings(components, dir.resolve("secrets"), dir,
                     Map.of(), Map.of(), Map.of(), Map.of(), Duration.ofSeconds(10), 1 << 20), SourceSettings.defaults(dir.resolve("cache")));
             HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"))) {
            String digest = registry.orasPush(dir, "tools/types:1.0", "config.json:application/vnd.wasm.config.v0+json",
                    "types.wasm:application/wasm", "policy.yaml:application/vnd.wasm.policy.v1+yaml");
            String ref = registry.ref("tools/types:1.0");
            List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
            try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + server.address().getPort())
                            .endpoint("/mcp").build())
                    .requestTimeout(Duration.ofSeconds(60))
                    .progressConsumer(progress::add)
                    .build()) {
                client.initialize();
                McpSchema.CallToolResult loaded = client.callTool(McpSchema.CallToolRequest.builder().name("load-component")
                        .arguments(Map.of("path", ref)).progressToken("pull-1").build());
                assertFalse(loaded.isError(), loaded.toString());
                Map<?, ?> result = (Map<?, ?>) loaded.structuredContent();
                assertEquals("types", result.get("id"));
                assertEquals(ref, result.get("source"));
                assertEquals(digest, result.get("digest"));
                Map<?, ?> declared = (Map<?, ?>) result.get("declared_permissions");
                assertEquals(false, declared.get("applied"), result.toString());
                assertTrue(declared.get("policy").toString().contains("HOME"), result.toString());
                assertTrue(progress.stream().anyMatch(p -> "pull-1".equals(p.progressToken()) && p.total() != null
                        && p.progress() == p.total().doubleValue() && p.message().contains("component")), progress.toString());

                McpSchema.CallToolResult add = client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_add", Map.of("a", 2, "b", 3)));
                assertEquals(Map.of("result", 5), add.structuredContent());
                McpSchema.CallToolResult list = client.callTool(new McpSchema.CallToolRequest("list-components", Map.of()));
                Map<?, ?> row = (Map<?, ?>) ((List<?>) ((Map<?, ?>) list.structuredContent()).get("components")).getFirst();
                assertEquals(ref, row.get("source"));
                assertEquals(digest, row.get("digest"));
                assertFalse(Files.readString(components.resolve("types.policy.yaml")).contains("HOME"), "the declared policy is not in force");
                assertTrue(Files.readString(components.resolve("types.declared-policy.yaml")).contains("HOME"));

                // Loaded again, the same digest is in the cache: no download, no progress.
                int before = progress.size();
                McpSchema.CallToolResult again = client.callTool(McpSchema.CallToolRequest.builder().name("load-component")
                        .arguments(Map.of("path", "oci://" + registry.address() + "/tools/types@" + digest)).progressToken("pull-2").build());
                assertEquals(true, ((Map<?, ?>) again.structuredContent()).get("from_cache"), again.toString());
                assertEquals(before, progress.size());

                McpSchema.CallToolResult missing = client.callTool(new McpSchema.CallToolRequest("load-component",
                        Map.of("path", registry.ref("tools/absent:1.0"))));
                assertTrue(missing.isError());
                String text = ((McpSchema.TextContent) missing.content().getFirst()).text();
                assertEquals("cannot load " + registry.ref("tools/absent:1.0") + ": not found in the registry (no tag \"1.0\" in tools/absent)", text);
                assertFalse(Files.exists(components.resolve("absent.wasm")));

                McpSchema.CallToolResult badPin = client.callTool(new McpSchema.CallToolRequest("load-component",
                        Map.of("path", ref, "digest", "sha256:nothex")));
                assertTrue(badPin.isError());
                assertTrue(((McpSchema.TextContent) badPin.content().getFirst()).text().contains("digest \"sha256:nothex\" is not sha256: followed by 64 lower-case hex digits"), badPin.toString());
            }
        }
    }
}

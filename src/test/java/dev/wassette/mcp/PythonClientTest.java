package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python MCP SDK's streamable HTTP client (PyPI {@code mcp}, pinned in
 * src/test/mcp-clients/python/requirements.lock) through a whole session with {@code serve}: JSON
 * answers, {@code list_changed} on the session's event stream after {@code load-component}, a
 * component call and a refused one, and the session's DELETE as the client leaves.
 */
class PythonClientTest {
    @TempDir
    Path dir;

    @Test
    void aPythonSdkSessionOverStreamableHttp() throws Exception {
        Path python = McpClientTools.pythonSetup();
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                     .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(30))
                     .maxResultBytes(1 << 20).build());
             HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"))) {
            String url = "http://127.0.0.1:" + server.address().getPort() + "/mcp";
            McpClientTools.Result r = McpClientTools.run(List.of(python.toString(),
                    McpClientTools.clientsDir().resolve("python/http_client.py").toString(), url, Fixtures.path("types.wasm").toUri().toString()),
                    Map.of(), dir, 120);
            assertEquals(0, r.code(), r.output());
            JsonNode seen = new ObjectMapper().readTree(r.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow());
            assertEquals("wassette-java", seen.path("server").asText(), r.output());
            assertTrue(seen.path("builtins").toString().contains("\"load-component\""), r.output());
            assertEquals(false, seen.path("load_is_error").asBoolean(true), r.output());
            assertTrue(seen.path("list_changed").asBoolean(), r.output());
            assertEquals(42, seen.path("add").path("result").asInt(), r.output());
            assertTrue(seen.path("bad_is_error").asBoolean(), r.output());
            assertTrue(seen.path("bad_text").asText().contains("args.a: expected an integer"), r.output());
        }
    }
}

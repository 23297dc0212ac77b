package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stdio (or daemon) session hands the SDK each request with its params as the JSON tree it read:
 * every kind of request id comes back exactly as sent, and params of every shape reach the tool.
 */
class StreamRequestIdsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void idsOfEveryKindAreEchoedExactlyAndParamsReachTheTool() throws Exception {
        try (RawStreamSession.Served served = new RawStreamSession.Served(RawStreamSession.settings(dir), server -> new StreamTransport(server, 1 << 20))) {
            try (RawStreamSession session = new RawStreamSession(served.transport, "ids")) {
                session.send("{\"jsonrpc\":\"2.0\",\"id\":\"init-1\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"ids\",\"version\":\"1\"}}}");
                assertEquals("2025-06-18", session.answer("\"init-1\"").path("result").path("protocolVersion").asText());
                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
                session.send(RawStreamSession.call("9007199254740993", "load-component", "{\"path\":\"" + Fixtures.path("types.wasm").toUri() + "\"}"));
                JsonNode loaded = session.answer("9007199254740993");
                assertFalse(loaded.path("result").path("isError").asBoolean(), loaded.toString());

                // An int, a long, a string and a zero: each answered under its own id.
                for (String id : new String[] {"7", "2147483648", "\"call-\\u00e9\"", "0"}) {
                    session.send(RawStreamSession.call(id, "wassette_fixtures_types_0_1_0_add", "{\"a\":40,\"b\":2}"));
                    JsonNode answer = session.answer(id);
                    JsonNode result = answer.path("result");
                    assertEquals(JSON.readTree("{\"result\":42}"), result.path("structuredContent"), answer.toString());
                    assertEquals("42", result.path("content").path(0).path("text").asText(), answer.toString());
                }
                // An integer beyond a long is not an MCP id (the SDK's rule): refused under it, and the session goes on.
                session.send(RawStreamSession.call("123456789012345678901234567890", "wassette_fixtures_types_0_1_0_add", "{\"a\":40,\"b\":2}"));
                JsonNode huge = session.answer("123456789012345678901234567890");
                assertEquals(-32600, huge.path("error").path("code").asInt(), huge.toString());
                // Params given as null, and absent, where the method takes none.
                session.send("{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"tools/list\",\"params\":null}");
                assertFalse(session.answer("\"p1\"").path("result").path("tools").isEmpty());
                session.send("{\"jsonrpc\":\"2.0\",\"id\":\"p2\",\"method\":\"ping\"}");
                assertEquals(JSON.createObjectNode(), session.answer("\"p2\"").path("result"));
                // Wrongly shaped params are the client's error, answered under its id.
                session.send("{\"jsonrpc\":\"2.0\",\"id\":\"p3\",\"method\":\"tools/call\",\"params\":[1,2]}");
                assertEquals(true, session.answer("\"p3\"").has("error"));
            }
        }
    }

}

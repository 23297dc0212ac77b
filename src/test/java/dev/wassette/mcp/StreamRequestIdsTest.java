package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).build());
             WassetteMcpServer server = new WassetteMcpServer(host, true)) {
            StreamTransport transport = new StreamTransport(server, 1 << 20);
            server.streams(transport);
            Pipe input = Pipe.open();
            BlockingQueue<JsonNode> answers = new LinkedBlockingQueue<>();
            OutputStream out = new OutputStream() {
                private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

                @Override
                public synchronized void write(int b) {
                    if (b == '\n') {
                        try {
                            answers.add(JSON.readTree(line.toByteArray()));
                        } catch (java.io.IOException e) {
                            throw new AssertionError("not JSON on the session's output: " + line, e);
                        }
                        line.reset();
                    } else {
                        line.write(b);
                    }
                }
            };
            StreamTransport.Connection connection = transport.open("ids", Channels.newInputStream(input.source()), out, null, null);
            connection.start();
            send(input, "{\"jsonrpc\":\"2.0\",\"id\":\"init-1\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                    + "\"capabilities\":{},\"clientInfo\":{\"name\":\"ids\",\"version\":\"1\"}}}");
            assertEquals("2025-06-18", answer(answers, "\"init-1\"").path("result").path("protocolVersion").asText());
            send(input, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            send(input, call("9007199254740993", "load-component", "{\"path\":\"" + Fixtures.path("types.wasm").toUri() + "\"}"));
            JsonNode loaded = answer(answers, "9007199254740993");
            assertFalse(loaded.path("result").path("isError").asBoolean(), loaded.toString());

            // An int, a long, a string and a zero: each answered under its own id.
            for (String id : new String[] {"7", "2147483648", "\"call-\\u00e9\"", "0"}) {
                send(input, call(id, "wassette_fixtures_types_0_1_0_add", "{\"a\":40,\"b\":2}"));
                JsonNode answer = answer(answers, id);
                JsonNode result = answer.path("result");
                assertEquals(JSON.readTree("{\"result\":42}"), result.path("structuredContent"), answer.toString());
                assertEquals("42", result.path("content").path(0).path("text").asText(), answer.toString());
            }
            // An integer beyond a long is not an MCP id (the SDK's rule): refused under it, and the session goes on.
            send(input, call("123456789012345678901234567890", "wassette_fixtures_types_0_1_0_add", "{\"a\":40,\"b\":2}"));
            JsonNode huge = answer(answers, "123456789012345678901234567890");
            assertEquals(-32600, huge.path("error").path("code").asInt(), huge.toString());
            // Params given as null, and absent, where the method takes none.
            send(input, "{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"tools/list\",\"params\":null}");
            assertFalse(answer(answers, "\"p1\"").path("result").path("tools").isEmpty());
            send(input, "{\"jsonrpc\":\"2.0\",\"id\":\"p2\",\"method\":\"ping\"}");
            assertEquals(JSON.createObjectNode(), answer(answers, "\"p2\"").path("result"));
            // Wrongly shaped params are the client's error, answered under its id.
            send(input, "{\"jsonrpc\":\"2.0\",\"id\":\"p3\",\"method\":\"tools/call\",\"params\":[1,2]}");
            assertEquals(true, answer(answers, "\"p3\"").has("error"));
            connection.end("test over");
        }
    }

    private static void send(Pipe input, String line) throws java.io.IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            input.sink().write(bytes);
        }
    }

    /** The answer whose id is the JSON {@code id} (compared as JSON), within 60 s; other messages are skipped. */
    private static JsonNode answer(BlockingQueue<JsonNode> answers, String id) throws Exception {
        JsonNode wanted = JSON.readTree(id);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode next = answers.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (next == null) {
                throw new AssertionError("no answer to request " + id + " within 60 s");
            }
            if (wanted.equals(next.get("id")) && (next.has("result") || next.has("error"))) {
                return next;
            }
        }
    }

    private static String call(String id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }
}

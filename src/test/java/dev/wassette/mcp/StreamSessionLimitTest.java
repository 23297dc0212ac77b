package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stdio (or daemon) session may hold only so many requests in flight; one more is refused with why. */
class StreamSessionLimitTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void requestsBeyondTheSessionsLimitAreRefusedUntilOneIsAnswered() throws Exception {
        // A call deadline far beyond the test's bounds: only the cancellation ends a spinning call.
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofMinutes(10)).maxResultBytes(1 << 20).build());
             WassetteMcpServer server = new WassetteMcpServer(host, true)) {
            StreamTransport transport = new StreamTransport(server, 1 << 20, 2);
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
            StreamTransport.Connection connection = transport.open("limited", Channels.newInputStream(input.source()), out, null, null);
            connection.start();
            send(input, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                    + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
            answer(answers, 1);
            send(input, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            send(input, call(2, "load-component", "{\"path\":\"" + Fixtures.path("spin.wasm").toUri() + "\"}"));
            assertTrue(answer(answers, 2).toString().contains("component loaded successfully"));

            send(input, call(10, "spin", "{}"));
            send(input, call(11, "spin", "{}"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.calls().size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(2, server.calls().size(), "both calls run");
            send(input, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"ping\"}");
            JsonNode refused = answer(answers, 12);
            assertEquals(-32000, refused.path("error").path("code").asInt(), refused.toString());
            assertTrue(refused.path("error").path("message").asText().contains("this session has 2 in flight"), refused.toString());

            send(input, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":10}}");
            send(input, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":11}}");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            JsonNode pong = null;
            for (int id = 13; pong == null && System.nanoTime() < deadline; id++) {
                send(input, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}");
                JsonNode a = answer(answers, id);
                pong = a.has("result") ? a : null;
                if (pong == null) {
                    Thread.sleep(20); // the cancelled calls are still ending
                }
            }
            assertNotNull(pong, "with its calls ended the session may send again");
            connection.end("test over");
        }
    }

    private static void send(Pipe input, String line) throws java.io.IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            input.sink().write(bytes);
        }
    }

    /** The answer to request {@code id} (notifications and other answers are skipped), within 60 s. */
    private static JsonNode answer(BlockingQueue<JsonNode> answers, int id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode next = answers.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (next == null) {
                throw new AssertionError("no answer to request " + id + " within 60 s");
            }
            if (next.path("id").asInt(-1) == id) {
                return next;
            }
        }
    }

    private static String call(int id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wassette.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stdio (or daemon) session may hold only so many requests in flight; one more is refused with why. */
class StreamSessionLimitTest {
    @TempDir
    Path dir;

    @Test
    void requestsBeyondTheSessionsLimitAreRefusedUntilOneIsAnswered() throws Exception {
        // A call deadline far beyond the test's bounds: only the cancellation ends a spinning call.
        try (RawStreamSession.Served served = new RawStreamSession.Served(
                RawStreamSession.settings(dir).callTimeout(Duration.ofMinutes(10)).maxResultBytes(1 << 20),
                server -> new StreamTransport(server, 1 << 20, 2))) {
            WassetteMcpServer server = served.server;
            try (RawStreamSession session = new RawStreamSession(served.transport, "limited")) {
                session.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
                session.answer(1);
                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
                session.send(RawStreamSession.call(2, "load-component", "{\"path\":\"" + Fixtures.path("spin.wasm").toUri() + "\"}"));
                assertTrue(session.answer(2).toString().contains("component loaded successfully"));

                session.send(RawStreamSession.call(10, "spin", "{}"));
                session.send(RawStreamSession.call(11, "spin", "{}"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (server.calls().size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(2, server.calls().size(), "both calls run");
                session.send("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"ping\"}");
                JsonNode refused = session.answer(12);
                assertEquals(-32000, refused.path("error").path("code").asInt(), refused.toString());
                assertTrue(refused.path("error").path("message").asText().contains("this session has 2 in flight"), refused.toString());

                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":10}}");
                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":11}}");
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                JsonNode pong = null;
                for (int id = 13; pong == null && System.nanoTime() < deadline; id++) {
                    session.send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}");
                    JsonNode a = session.answer(id);
                    pong = a.has("result") ? a : null;
                    if (pong == null) {
                        Thread.sleep(20); // the cancelled calls are still ending
                    }
                }
                assertNotNull(pong, "with its calls ended the session may send again");
            }
        }
    }

}

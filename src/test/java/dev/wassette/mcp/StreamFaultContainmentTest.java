package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.server.McpRequestHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * A failure of the server's own code while a stream session handles a message stays with that
 * message: a request gets a JSON-RPC internal error (and only one answer, if it had been answered
 * before the failure), a notification gets nothing, and the session goes on reading. The failures
 * are injected by a session that throws from {@code handle}, as a bug in the server would.
 */
class StreamFaultContainmentTest {
    @TempDir
    Path dir;

    @Test
    void aFailureWhileHandlingAMessageIsAnsweredOnceAndTheSessionReadsOn() throws Exception {
        try (RawStreamSession.Served served = new RawStreamSession.Served(RawStreamSession.settings(dir), server -> new StreamTransport(server, 1 << 20))) {
            served.transport.setSessionFactory(FailingSession::new);
            try (RawStreamSession session = new RawStreamSession(served.transport, "faults")) {
                session.send(request(1, "initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"faults\",\"version\":\"1\"}}"));
                assertEquals("2025-06-18", session.next().path("result").path("protocolVersion").asText());
                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

                session.send(request(2, "test/fail", "{}"));
                JsonNode failed = session.next();
                assertEquals(2, failed.path("id").asInt(), failed.toString());
                assertEquals(-32603, failed.path("error").path("code").asInt(), failed.toString());
                assertTrue(failed.path("error").path("message").asText().contains("injected failure of test/fail"), failed.toString());

                // A notification is never answered; an answered request is not answered again.
                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/test/fail\"}");
                session.send(request(3, "test/answer-then-fail", "{}"));
                JsonNode answered = session.next();
                assertEquals(3, answered.path("id").asInt(), answered.toString());
                assertTrue(answered.has("result"), answered.toString());

                session.send(request(4, "ping", "{}"));
                JsonNode pong = session.next();
                assertEquals(4, pong.path("id").asInt(), "nothing else was written before this answer: " + pong);
                assertTrue(pong.has("result"), pong.toString());
            }
        }
    }

    private static String request(int id, String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}";
    }

    /** An SDK session answering initialize and ping, which throws from {@code handle} for the test methods. */
    private static final class FailingSession extends McpServerSession {
        FailingSession(McpServerTransport transport) {
            super("faults", Duration.ofSeconds(30), transport,
                    request -> Mono.just(new McpSchema.InitializeResult(request.protocolVersion(),
                            McpSchema.ServerCapabilities.builder().build(), new McpSchema.Implementation("faults", "1"), null)),
                    Map.<String, McpRequestHandler<?>>of("ping", (exchange, params) -> Mono.just(Map.of()),
                            "test/answer-then-fail", (exchange, params) -> Mono.just(Map.of())),
                    Map.of());
        }

        @Override
        public Mono<Void> handle(McpSchema.JSONRPCMessage message) {
            String method = message instanceof McpSchema.JSONRPCRequest r ? r.method()
                    : message instanceof McpSchema.JSONRPCNotification n ? n.method() : "";
            switch (method) {
                case "test/fail", "notifications/test/fail" -> throw new IllegalStateException("injected failure of " + method);
                case "test/answer-then-fail" -> {
                    super.handle(message).block(Duration.ofSeconds(30));
                    throw new IllegalStateException("injected failure after answering " + method);
                }
                default -> {
                    return super.handle(message);
                }
            }
        }
    }
}

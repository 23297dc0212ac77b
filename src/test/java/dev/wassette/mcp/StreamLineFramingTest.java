package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a stdio (or daemon) session cuts its input into messages: at each newline, carriage returns
 * dropped, whatever the reads' sizes — a message longer than a read, several messages in one read,
 * one cut across writes, and a last one without a newline before the input ends. A message over
 * the limit is refused and the session goes on.
 */
class StreamLineFramingTest {
    private static final int LIMIT = 20_000;

    @TempDir
    Path dir;

    @Test
    void messagesAreCutAtNewlinesWhateverTheReadsAndOneOverTheLimitIsRefused() throws Exception {
        try (RawStreamSession.Served served = new RawStreamSession.Served(RawStreamSession.settings(dir), server -> new StreamTransport(server, LIMIT))) {
            try (RawStreamSession session = new RawStreamSession(served.transport, "framing")) {
                session.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"framing\",\"version\":\"1\"}}}\r\n");
                assertEquals("2025-06-18", session.answer(1).path("result").path("protocolVersion").asText());
                session.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

                // Longer than a read of the transport (8 Ki characters), shorter than the limit.
                session.send(ping("\"long\"", LIMIT - 100));
                assertPong(session.answer("\"long\""));
                // Three in one write, a carriage return inside one of them, and blank lines between.
                session.sendRaw(ping("\"a\"", 0) + "\n\n" + "{\"jsonrpc\":\"2.0\",\r\"id\":\"b\",\"method\":\"ping\"}\r\n   \n" + ping("\"c\"", 0) + "\n");
                assertPong(session.answer("\"a\""));
                assertPong(session.answer("\"b\""));
                assertPong(session.answer("\"c\""));
                // One message cut across two writes.
                String cut = ping("\"cut\"", 9000);
                session.sendRaw(cut.substring(0, 8500));
                session.sendRaw(cut.substring(8500) + "\n");
                assertPong(session.answer("\"cut\""));
                // Over the limit: refused (with no id to answer under), and the next message is served.
                session.send(ping("\"huge\"", LIMIT + 5000));
                JsonNode refused = session.answer("null");
                assertEquals(-32600, refused.path("error").path("code").asInt(), refused.toString());
                assertTrue(refused.path("error").path("message").asText().contains("exceeds the limit of " + LIMIT), refused.toString());
                session.send(ping("\"after\"", 0));
                assertPong(session.answer("\"after\""));
                // The last message has no newline: it is read when the input ends.
                session.sendRaw(ping("\"last\"", 0));
                session.endInput();
                assertPong(session.answer("\"last\""));
            }
        }
    }

    /** A ping with id {@code id}, padded with spaces (JSON whitespace) to about {@code length} characters. */
    private static String ping(String id, int length) {
        String message = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}";
        return message.length() >= length ? message : "{" + " ".repeat(length - message.length()) + message.substring(1);
    }

    private static void assertPong(JsonNode answer) {
        assertTrue(answer.has("result") && answer.path("result").isEmpty(), answer.toString());
    }
}

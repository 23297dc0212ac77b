package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.CallContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How transports name tool calls so cancellations reach them, and what a client cannot forge. */
class InFlightCallsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode parse(String s) throws Exception {
        return JSON.readTree(s);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> meta(JsonNode message) {
        return JSON.convertValue(message.path("params").path("_meta"), Map.class);
    }

    @Test
    void aCancellationBeforeTheHandlerRunsIsKeptAndItsAnswerDropped() throws Exception {
        InFlightCalls calls = new InFlightCalls();
        JsonNode call = parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"spin\","
                + "\"_meta\":{\"dev.wassette/call\":\"http/other-session/1\",\"progressToken\":3}}}");
        assertEquals(List.of("stdio/7"), calls.accept("stdio", call));
        assertEquals("stdio/7", meta(call).get(InFlightCalls.META_KEY), "the client's own key is overwritten");
        assertEquals(3, meta(call).get("progressToken"), "the client's other _meta is kept");
        assertTrue(calls.cancel("stdio", parse("{\"requestId\":7,\"reason\":\"stop\"}"), true));
        CallContext handler = calls.begin(meta(call));
        assertTrue(handler.isCancelled(), "the handler starts with the cancellation already requested");
        calls.end(meta(call));
        assertTrue(calls.answered("stdio", parse("7")), "the answer to a cancelled request is dropped");
        assertFalse(calls.answered("stdio", parse("7")), "only once");
        assertFalse(calls.cancel("stdio", parse("{\"requestId\":7}"), true), "a finished call is not cancelled again");
        assertEquals(0, calls.size());
    }

    @Test
    void aKeyAClientWroteIntoAnotherMessageIsRemoved() throws Exception {
        InFlightCalls calls = new InFlightCalls();
        JsonNode other = parse("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"_meta\":{\"dev.wassette/call\":\"stdio/7\"}}}");
        assertEquals(List.of(), calls.accept("stdio", other));
        assertFalse(meta(other).containsKey(InFlightCalls.META_KEY));
        JsonNode batch = parse("[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"ping\"}]");
        assertEquals(List.of("s/\"a\""), calls.accept("s", batch));
        calls.cancelSession("s", "session ended");
        assertTrue(calls.begin(meta(batch.get(0))).isCancelled());
    }
}

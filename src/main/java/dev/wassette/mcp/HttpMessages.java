package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What both HTTP transports ({@link StreamableHttpTransport}, {@link StatelessHttpTransport}) do with
 * a posted message before and after the server's handlers: take it as the request filter parsed it,
 * check the headers the protocol asks for, and answer with JSON whose length is known (so Jetty
 * sends headers and body in one write when the request returns, instead of a flushed chunk and a
 * chunked ending).
 */
final class HttpMessages {
    /** Request attribute: the message as parsed JSON ({@link JsonNode}), so it is not parsed twice. */
    static final String PARSED = HttpMessages.class.getName() + ".parsed";
    static final String JSON = "application/json";
    static final String EVENT_STREAM = "text/event-stream";
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    private static final ObjectMapper PARSER = new ObjectMapper();

    private HttpMessages() {}

    /**
     * A posted message: as parsed JSON (for its {@code id} in errors), as the SDK's message type, and
     * what the Accept header lacks (each transport decides when that matters).
     */
    record Posted(JsonNode json, McpSchema.JSONRPCMessage message, List<String> missingAccept) {
        JsonNode id() {
            return json.get("id");
        }
    }

    /**
     * The posted message, or null when it was answered here with an error: the server is {@code
     * closing} (503), a Content-Type other than JSON (415), a body over {@code maxBytes} (413), no
     * JSON at all (400), or JSON that is not one JSON-RPC message (400).
     */
    static Posted read(HttpServletRequest request, HttpServletResponse response, boolean closing, int maxBytes, McpJsonMapper mapper)
            throws IOException {
        if (closing) {
            error(response, 503, null, -32000, "Server is shutting down");
            return null;
        }
        JsonNode json = readJson(request, response, maxBytes);
        if (json == null) {
            return null;
        }
        try {
            return new Posted(json, toMessage(json, mapper), missingAccept(request));
        } catch (IllegalArgumentException e) {
            error(response, 400, json.get("id"), -32600, "Invalid Request: " + e.getMessage());
            return null;
        }
    }

    private static JsonNode readJson(HttpServletRequest request, HttpServletResponse response, int maxBytes) throws IOException {
        String contentType = request.getContentType();
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith(JSON)) {
            error(response, 415, null, -32600, "Unsupported Media Type: Content-Type must be application/json");
            return null;
        }
        if (request.getAttribute(PARSED) instanceof JsonNode parsed) {
            return parsed;
        }
        byte[] body = request.getInputStream().readNBytes(maxBytes + 1);
        if (body.length > maxBytes) {
            error(response, 413, null, -32600, "Invalid Request: message exceeds the limit of " + maxBytes + " bytes");
            return null;
        }
        try {
            JsonNode parsed = PARSER.readTree(body);
            if (parsed != null && !parsed.isMissingNode()) {
                return parsed;
            }
        } catch (IOException e) {
            // answered below
        }
        error(response, 400, null, -32700, "Parse error: the body is not JSON");
        return null;
    }

    /** What a POST's Accept header lacks of {@code application/json, text/event-stream}: usually nothing (no list made). */
    private static List<String> missingAccept(HttpServletRequest request) {
        String accept = request.getHeader("Accept");
        boolean events = accept != null && accept.contains(EVENT_STREAM);
        boolean json = accept != null && accept.contains(JSON);
        if (events && json) {
            return List.of();
        }
        List<String> missing = new ArrayList<>(2);
        if (!events) {
            missing.add("text/event-stream required in Accept header");
        }
        if (!json) {
            missing.add("application/json required in Accept header");
        }
        return List.copyOf(missing);
    }

    /**
     * A JSON-RPC message of the kind its members make it (the SDK's rule: method and id, method, or
     * result or error); IllegalArgumentException for anything else, batches included.
     */
    private static McpSchema.JSONRPCMessage toMessage(JsonNode node, McpJsonMapper mapper) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("a message must be one JSON object (batches are not supported)");
        }
        if (node.has("method")) {
            return node.has("id") ? mapper.convertValue(node, McpSchema.JSONRPCRequest.class)
                    : mapper.convertValue(node, McpSchema.JSONRPCNotification.class);
        }
        if (node.has("result") || node.has("error")) {
            return mapper.convertValue(node, McpSchema.JSONRPCResponse.class);
        }
        throw new IllegalArgumentException("neither a request, a notification nor a response");
    }

    /** Status and a JSON body of known length; not flushed, so it goes out with the headers. */
    static void writeJson(HttpServletResponse response, int status, byte[] json) throws IOException {
        response.setStatus(status);
        response.setContentType(JSON);
        response.setContentLength(json.length);
        response.getOutputStream().write(json);
    }

    /** A JSON-RPC error answer with HTTP {@code status}. */
    static void error(HttpServletResponse response, int status, JsonNode id, int code, String message) throws IOException {
        LOG.log(System.Logger.Level.DEBUG, "HTTP {0}: {1}", status, message);
        writeJson(response, status, new JsonRpcChecks.Rejection(id, code, message).toJson().toString().getBytes(StandardCharsets.UTF_8));
    }
}

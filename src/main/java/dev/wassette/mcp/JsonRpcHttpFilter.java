package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;

/**
 * Validates JSON-RPC posted to {@code /mcp} before the transport sees it: malformed or oversized
 * messages and bad params get a JSON-RPC error (the SDK would answer some of them with nothing).
 */
final class JsonRpcHttpFilter implements Filter {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    private final int maxBytes;
    private static final String SESSION_HEADER = "Mcp-Session-Id";
    private final ObjectMapper json = new ObjectMapper();
    private final Predicate<String> knownTool;
    private final InFlightCalls calls;
    private final HttpSessions sessions;
    private final HttpLimits limits;

    JsonRpcHttpFilter(int maxBytes, Predicate<String> knownTool, InFlightCalls calls, HttpSessions sessions, HttpLimits limits) {
        this.maxBytes = maxBytes;
        this.knownTool = knownTool;
        this.calls = calls;
        this.sessions = sessions;
        this.limits = limits;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        String sessionId = http.getHeader(SESSION_HEADER);
        String session = "http/" + sessionId;
        if (sessionId != null) {
            sessions.touch(sessionId);
        }
        if ("DELETE".equals(http.getMethod()) && sessionId != null) {
            calls.cancelSession(session, "the client ended the session");
            sessions.ended(sessionId);
        }
        if (!"POST".equals(http.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        HttpServletResponse res = (HttpServletResponse) response;
        byte[] body = body(http);
        if (body.length > maxBytes) {
            reject(res, 413, new JsonRpcChecks.Rejection(null, -32600, "Invalid Request: message exceeds the limit of " + maxBytes + " bytes"));
            return;
        }
        JsonNode message = parse(body);
        JsonRpcChecks.Rejection rejection = message == null
                ? JsonRpcChecks.check(new String(body, StandardCharsets.UTF_8), knownTool) // says why it does not parse
                : JsonRpcChecks.check(message, knownTool);
        if (rejection != null) {
            // A well-formed request with bad params is answered like any request; broken messages are 400.
            reject(res, rejection.code() == -32602 ? 200 : 400, rejection);
            return;
        }
        if (message.isObject() && !message.has("method")) {
            // A response (the check let only those through without a method). This server sends no
            // requests to clients, so none is awaited: the SDK would answer a stray one with a 500.
            // Accepted and dropped, as the transport says a response is answered (202, no body).
            res.setStatus(202);
            return;
        }
        if (message.isObject() && "notifications/cancelled".equals(message.path("method").asText())) {
            // Handled here: the SDK has no handler for it. A notification is answered 202 Accepted.
            calls.cancel(session, message.get("params"), false);
            res.setStatus(202);
            return;
        }
        JsonNode id = message.isObject() ? message.get("id") : null;
        boolean initialize = message.isObject() && "initialize".equals(message.path("method").asText());
        if (initialize && id != null) { // a notification of that name is no initialize
            LOG.log(System.Logger.Level.INFO, "HTTP session {0}: client {1}", sessionId == null ? "(new)" : sessionId,
                    JsonRpcChecks.client(message.get("params")));
        }
        if (initialize && sessionId == null && !sessions.mayStart()) {
            reject(res, 503, new JsonRpcChecks.Rejection(id, -32000, "Server busy: it serves at most " + limits.maxSessions()
                    + " sessions at once; close one, or try again later"));
            return;
        }
        boolean counted = sessionId != null && (message.isArray() || id != null);
        if (counted && !sessions.begin(sessionId)) {
            reject(res, 429, new JsonRpcChecks.Rejection(id, -32000, "Too many requests: this session has "
                    + limits.maxRequestsPerSession() + " in flight, the most it may; wait for an answer first"));
            return;
        }
        try {
            dispatch(http, res, chain, session, message);
        } finally {
            if (counted) {
                sessions.end(sessionId);
            }
        }
        if (initialize && sessionId == null) {
            String created = res.getHeader(SESSION_HEADER);
            if (created != null) {
                sessions.started(created);
            }
        }
    }

    private void dispatch(HttpServletRequest http, HttpServletResponse res, FilterChain chain, String session, JsonNode message)
            throws IOException, ServletException {
        List<String> stamped = calls.accept(session, message);
        // The transports take the message as parsed here (and stamped), not the body again.
        http.setAttribute(HttpMessages.PARSED, message);
        if (stamped.isEmpty()) {
            chain.doFilter(http, res);
            return;
        }
        // When the client closes the connection before a tool call's answer, nobody is left to
        // answer: the transport's heartbeats reveal it, and the guest is stopped.
        http.setAttribute(StreamableHttpTransport.ON_CLIENT_GONE, (Runnable) () -> calls.cancel(stamped, "the client closed the connection"));
        try {
            chain.doFilter(http, res);
        } finally {
            calls.forget(stamped);
        }
    }

    /**
     * The request's body, up to one byte past {@link #maxBytes}. A body of declared length within
     * the limit is read into an array of that length: {@code readNBytes(maxBytes + 1)} reads through a
     * 16 KiB buffer, which for the usual body of a few hundred bytes was a third of everything
     * {@code serve} allocated per tool call, and so of its young collections.
     */
    private byte[] body(HttpServletRequest http) throws IOException {
        long declared = http.getContentLengthLong();
        if (declared < 0 || declared > maxBytes) {
            return http.getInputStream().readNBytes(maxBytes + 1);
        }
        byte[] body = new byte[(int) declared];
        int read = http.getInputStream().readNBytes(body, 0, body.length);
        return read == body.length ? body : java.util.Arrays.copyOf(body, read);
    }

    /** The body as JSON, parsed once; null when it is not JSON at all. */
    private JsonNode parse(byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            return node == null || node.isMissingNode() ? null : node;
        } catch (IOException e) {
            return null;
        }
    }

    private static void reject(HttpServletResponse res, int status, JsonRpcChecks.Rejection rejection) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "rejected HTTP message: {0}", rejection.message());
        res.setStatus(status);
        res.setContentType("application/json");
        res.setCharacterEncoding("UTF-8");
        res.getWriter().write(rejection.toJson().toString());
    }
}

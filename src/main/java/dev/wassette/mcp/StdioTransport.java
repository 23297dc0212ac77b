package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransport;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import reactor.core.publisher.Mono;

/**
 * MCP over stdio, one JSON-RPC message per line, on the SDK's transport interface. One thread
 * reads stdin, checks each line (size, JSON, JSON-RPC shape, params, known tool — anything wrong is
 * answered here with a JSON-RPC error and never reaches the session, so one bad message cannot end
 * it), stamps tool calls so {@code notifications/cancelled} can stop them, and hands the message to
 * the session; whichever thread produces an answer writes it to stdout itself, whole and flushed.
 * No queues between threads, no polling.
 */
public final class StdioTransport implements McpServerTransportProvider {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    /** stdio has one session; its name keys the calls in flight. */
    private static final String SESSION = "stdio";

    private final WassetteMcpServer server;
    private final ObjectMapper json;
    private final McpJsonMapper mapper;
    private final BufferedReader in;
    private final OutputStream out;
    private final int maxLineBytes;
    private final CountDownLatch inputEnded = new CountDownLatch(1);
    /** Ids of requests handed to the session and not answered yet, so shutdown can wait for them. */
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private volatile McpServerSession session;
    private volatile boolean closed;

    public StdioTransport(WassetteMcpServer server, InputStream stdin, OutputStream stdout, int maxLineBytes) {
        this.server = server;
        this.json = server.objectMapper();
        this.mapper = server.jsonMapper();
        this.in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8), 1 << 16);
        this.out = stdout;
        this.maxLineBytes = maxLineBytes;
    }

    @Override
    public void setSessionFactory(McpServerSession.Factory factory) {
        this.session = factory.create(new SessionTransport());
    }

    /** Starts reading stdin; the returned latch opens when stdin ends. */
    public CountDownLatch start() {
        if (session == null) {
            throw new IllegalStateException("no session: build the server on this transport first");
        }
        Thread.ofPlatform().name("wassette-stdin").daemon().start(this::readLoop);
        return inputEnded;
    }

    private void readLoop() {
        try {
            StringBuilder buffer = new StringBuilder();
            long length;
            while ((length = readLine(buffer)) >= 0) {
                if (length > maxLineBytes) {
                    reject(new JsonRpcChecks.Rejection(null, -32600,
                            "Invalid Request: message of " + length + " characters exceeds the limit of " + maxLineBytes));
                } else if (!buffer.isEmpty() && !buffer.toString().isBlank()) {
                    receive(buffer.toString());
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "stdin failed: {0}", e.getMessage());
        } finally {
            inputEnded.countDown();
        }
    }

    private void receive(String line) throws IOException {
        JsonNode message;
        try {
            message = json.readTree(line);
        } catch (IOException e) {
            reject(JsonRpcChecks.check(line, server::knowsTool)); // says why it does not parse
            return;
        }
        if (message == null || message.isMissingNode()) {
            reject(new JsonRpcChecks.Rejection(null, -32700, "Parse error: empty message"));
            return;
        }
        if (message.isArray()) {
            // JSON-RPC batches: each message is handled (and answered) on its own.
            if (message.isEmpty()) {
                reject(new JsonRpcChecks.Rejection(null, -32600, "Invalid Request: empty batch"));
            }
            for (JsonNode m : message) {
                dispatch(m);
            }
            return;
        }
        dispatch(message);
    }

    private void dispatch(JsonNode message) throws IOException {
        JsonRpcChecks.Rejection rejection = JsonRpcChecks.check(message, server::knowsTool);
        if (rejection != null) {
            reject(rejection);
            return;
        }
        InFlightCalls calls = server.calls();
        if ("notifications/cancelled".equals(message.path("method").asText())) {
            // Handled here: the SDK has no handler for it (it would only log a warning).
            calls.cancel(SESSION, message.get("params"), true);
            return;
        }
        calls.accept(SESSION, message);
        McpSchema.JSONRPCMessage decoded;
        try {
            decoded = decode(message);
        } catch (IllegalArgumentException e) {
            reject(new JsonRpcChecks.Rejection(message.get("id"), -32600, "Invalid Request: " + firstLine(e.getMessage())));
            return;
        }
        if (decoded instanceof McpSchema.JSONRPCRequest) {
            pending.add(String.valueOf(message.get("id")));
        }
        session.handle(decoded)
                .onErrorResume(e -> {
                    LOG.log(System.Logger.Level.WARNING, "cannot handle {0}: {1}", message.path("method").asText(), e.getMessage());
                    return Mono.empty();
                })
                .subscribe();
    }

    private McpSchema.JSONRPCMessage decode(JsonNode message) {
        if (message.has("method")) {
            return message.hasNonNull("id") ? mapper.convertValue(message, McpSchema.JSONRPCRequest.class)
                    : mapper.convertValue(message, McpSchema.JSONRPCNotification.class);
        }
        return mapper.convertValue(message, McpSchema.JSONRPCResponse.class);
    }

    /**
     * Reads one line into {@code buffer}, keeping at most {@code maxLineBytes + 1} characters so an
     * endless line cannot exhaust memory; returns the line's full length, or -1 at end of input.
     */
    private long readLine(StringBuilder buffer) throws IOException {
        buffer.setLength(0);
        long length = 0;
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return length;
            }
            if (c == '\r') {
                continue;
            }
            if (length++ <= maxLineBytes) {
                buffer.append((char) c);
            }
        }
        return length == 0 ? -1 : length;
    }

    private void reject(JsonRpcChecks.Rejection rejection) throws IOException {
        writeLine(json.writeValueAsBytes(rejection.toJson()));
        LOG.log(System.Logger.Level.WARNING, "rejected stdin message: {0}", rejection.message());
    }

    private void send(McpSchema.JSONRPCMessage message) throws IOException {
        if (message instanceof McpSchema.JSONRPCResponse response && response.id() != null) {
            JsonNode id = json.valueToTree(response.id());
            pending.remove(id.toString());
            if (server.calls().answered(SESSION, id)) {
                return; // the request was cancelled: no answer
            }
        }
        writeLine(json.writeValueAsBytes(message));
    }

    private void writeLine(byte[] line) throws IOException {
        synchronized (out) {
            out.write(line);
            out.write('\n');
            out.flush();
        }
    }

    /** Waits until every request handed to the session has been answered, at most {@code timeout}. */
    public boolean awaitAnswered(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20); // only at shutdown
        }
        return pending.isEmpty();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "malformed message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        McpServerSession s = session;
        return s == null ? Mono.empty() : s.sendNotification(method, params);
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(() -> closed = true);
    }

    /** The session's side: what it sends is written at once by the sending thread. */
    private final class SessionTransport implements McpServerTransport {
        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return Mono.fromRunnable(() -> {
                if (closed) {
                    return;
                }
                try {
                    send(message);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("cannot write to stdout", e);
                }
            });
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> type) {
            return mapper.convertValue(data, type);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return Mono.fromRunnable(() -> closed = true);
        }
    }
}

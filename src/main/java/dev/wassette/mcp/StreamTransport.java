package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.ClientEnvironment;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransport;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * MCP over byte streams, one JSON-RPC message per line, on the SDK's transport interface: stdin and
 * stdout for {@code wassette run}, or any number of socket connections for the per-user daemon,
 * each its own MCP session. Per connection one thread reads, checks each line (size, JSON,
 * JSON-RPC shape, params, known tool — anything wrong is answered here with a JSON-RPC error and
 * never reaches the session, so one bad message cannot end it), stamps tool calls so
 * {@code notifications/cancelled} can stop them, and hands the message to the session, which
 * handles it on that same thread (the server runs with the SDK's immediate execution); the answer is
 * written by that thread, whole and flushed. A trivial tool call thus costs one read and one write
 * and no thread hand-off. So that a slow call does not hold up the session's other messages (a
 * cancellation, a ping, concurrent calls), a watch hands the reading to a new thread once a tool
 * call has run for {@link #SLOW_HANDLER} (leader/follower): the thread that ran it then ends. Other
 * messages are handled in the order they came.
 */
public final class StreamTransport implements McpServerTransportProvider {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    /** Transport-context keys under which a session's {@link ClientEnvironment} and {@link SessionLog} reach the tool handlers. */
    static final String CLIENT = "dev.wassette/client";
    static final String LOG_KEY = "dev.wassette/session-log";

    private final WassetteMcpServer server;
    private final ObjectMapper json;
    private final McpJsonMapper mapper;
    private final int maxLineBytes;
    /** Requests of one session in flight at once (default as over HTTP: {@link HttpLimits#maxRequestsPerSession}). */
    private final int maxRequestsInFlight;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final HandlerWatch watch = new HandlerWatch();
    private volatile McpServerSession.Factory sessions;

    /** How long a message may be handled on its reader's thread before another thread takes over the reading. */
    static final Duration SLOW_HANDLER = Duration.ofMillis(5);

    /** The environment of the client a call's session serves, when it is not this process's (daemon sessions); else null. */
    static ClientEnvironment clientOf(McpTransportContext context) {
        return fromContext(context, CLIENT, ClientEnvironment.class);
    }

    /** The log of the session a call came from, when it has one of its own (daemon sessions); else null. */
    static SessionLog sessionLogOf(McpTransportContext context) {
        return fromContext(context, LOG_KEY, SessionLog.class);
    }

    private static <T> T fromContext(McpTransportContext context, String key, Class<T> type) {
        return context != null && type.isInstance(context.get(key)) ? type.cast(context.get(key)) : null;
    }

    public StreamTransport(WassetteMcpServer server, int maxLineBytes) {
        this(server, maxLineBytes, HttpLimits.DEFAULTS.maxRequestsPerSession());
    }

    /** With {@code maxRequestsInFlight} requests of one session in flight at most (each slow one holds a thread). */
    public StreamTransport(WassetteMcpServer server, int maxLineBytes, int maxRequestsInFlight) {
        this.maxRequestsInFlight = maxRequestsInFlight;
        this.server = server;
        this.json = server.objectMapper();
        this.mapper = server.jsonMapper();
        this.maxLineBytes = maxLineBytes;
    }

    @Override
    public void setSessionFactory(McpServerSession.Factory factory) {
        this.sessions = factory;
    }

    /**
     * A new MCP session over {@code in}/{@code out}; {@link Connection#start} starts reading.
     * {@code name} keys the session's calls in flight and must be unique among open connections;
     * {@code client} is the environment its tool calls see (null: this process's); {@code log}, if
     * not null, also receives the session's own log lines (its invocation log, its rejected messages).
     * {@code in} is read by more than one thread over the session's life (one at a time), so it must
     * not be bound to a thread (as {@link java.io.PipedInputStream} is).
     */
    public Connection open(String name, InputStream in, OutputStream out, ClientEnvironment client, SessionLog log) {
        return open(name, in, out, client, log, null);
    }

    /**
     * As {@link #open(String, InputStream, OutputStream, ClientEnvironment, SessionLog)}, for a
     * session whose first requests the shim has answered already ({@code early}, null: none): their
     * answers are not written again, and if the tools the shim listed are not the server's now,
     * the client is sent {@code notifications/tools/list_changed} once it has said it is initialized.
     * {@code in} then starts with the messages the shim read.
     */
    public Connection open(String name, InputStream in, OutputStream out, ClientEnvironment client, SessionLog log,
                           EarlyAnswers.Answered early) {
        McpServerSession.Factory factory = sessions;
        if (factory == null) {
            throw new IllegalStateException("no session factory: build the server on this transport first");
        }
        watch.start();
        Connection connection = new Connection(name, in, out, client, log, early);
        connection.session = factory.create(connection);
        connections.add(connection);
        server.sessions().started(name, "pipe");
        return connection;
    }

    /** Open connections (sessions). */
    public int size() {
        return connections.size();
    }

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        // Only to sessions whose client has said it is initialized: before that it expects none.
        return Flux.fromIterable(connections)
                .filter(c -> c.initialized)
                .flatMap(c -> c.session.sendNotification(method, params).onErrorResume(e -> Mono.empty()))
                .then();
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(() -> connections.forEach(c -> c.closed = true));
    }

    /** One session: its input, its output and what it has in flight. */
    public final class Connection implements McpServerTransport {
        private final String name;
        /** The session's input, decoded; read a buffer at a time into {@link #chars}. */
        private final java.io.Reader in;
        /**
         * Characters read from {@link #in} and not yet taken: {@code [charsAt, charsEnd)}. Used by the
         * thread holding the reader role, one at a time; a new reader sees what the last one left (the
         * role's hand-over orders their accesses).
         */
        private final char[] chars = new char[8192];
        private int charsAt;
        private int charsEnd;
        private final OutputStream out;
        private final McpTransportContext context;
        private final SessionLog log;
        private final CountDownLatch inputEnded = new CountDownLatch(1);
        /** Ids of requests handed to the session and not answered yet, so the end can wait for them. */
        private final Set<String> pending = ConcurrentHashMap.newKeySet();
        /**
         * The reader role: its generation (bits 1..63; each reader thread has its own) and whether the
         * thread holding it is handling a message rather than reading (bit 0). Only a thread handling
         * for {@link #SLOW_HANDLER} can lose the role, to {@link #takeOverIfSlow}.
         */
        private final java.util.concurrent.atomic.AtomicLong role = new java.util.concurrent.atomic.AtomicLong();
        private volatile long handlingSince;
        private volatile McpServerSession session;
        private volatile boolean closed;
        private volatile boolean initialized;
        /** Ids of requests the shim answered before this session began (answered once only), or null. */
        private final Set<String> answeredEarly;
        /** Digest of the tools the shim listed before this session began, or null. */
        private final String listedEarly;

        private Connection(String name, InputStream in, OutputStream out, ClientEnvironment client, SessionLog log, EarlyAnswers.Answered early) {
            this.name = name;
            this.answeredEarly = early == null || early.requestIds().isEmpty() ? null : ConcurrentHashMap.newKeySet();
            if (answeredEarly != null) {
                answeredEarly.addAll(early.requestIds());
            }
            this.listedEarly = early == null ? null : early.toolsDigest();
            this.in = new InputStreamReader(in, StandardCharsets.UTF_8);
            this.out = out;
            this.log = log;
            Map<String, Object> values = new java.util.HashMap<>();
            if (client != null) {
                values.put(CLIENT, client);
            }
            if (log != null) {
                values.put(LOG_KEY, log);
            }
            this.context = values.isEmpty() ? McpTransportContext.EMPTY : McpTransportContext.create(values);
        }

        /** Starts reading; the returned latch opens when the input ends. */
        public CountDownLatch start() {
            startReader(0);
            return inputEnded;
        }

        /**
         * Reads on the calling thread until the input ends: {@code start().await()} without a thread
         * of its own (one fewer to create per daemon session). After a slow call has moved the reading
         * to another thread, waits for that one to reach the end.
         */
        public void serve() throws InterruptedException {
            readLoop(0);
            inputEnded.await();
        }

        private void startReader(long generation) {
            Thread.ofPlatform().name("wassette-session-" + name).daemon().start(() -> readLoop(generation));
        }

        /**
         * Reads and handles messages while this thread holds the reader role of {@code generation};
         * the thread that reaches the end of the input (or fails to read) reports it.
         */
        private void readLoop(long generation) {
            Reader reader = new Reader(generation << 1);
            try {
                StringBuilder buffer = new StringBuilder();
                long length;
                while ((length = readLine(buffer)) >= 0) {
                    try {
                        if (length > maxLineBytes) {
                            reject(new JsonRpcChecks.Rejection(null, -32600,
                                    "Invalid Request: message of " + length + " characters exceeds the limit of " + maxLineBytes));
                        } else if (!buffer.isEmpty()) {
                            String line = buffer.toString();
                            if (!line.isBlank()) {
                                receive(line, reader);
                            }
                        }
                    } catch (IOException e) {
                        if (!reader.handedOver) {
                            throw e;
                        }
                    }
                    if (reader.handedOver) {
                        return; // another thread reads now, and reports the end of the input (or its failure)
                    }
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "session {0}: input failed: {1}", name, e.getMessage());
                }
            }
            inputEnded.countDown();
        }

        /**
         * Handles a tool call on the reading thread; the watch may hand the reading to another thread
         * meanwhile ({@link Reader#handedOver} then). Only tool calls: the other messages are quick,
         * and their order matters (a client may send {@code tools/list} right after {@code initialize},
         * whose answer must come first).
         */
        private void handleCall(Reader reader, Runnable call) {
            if (reader.handedOver) {
                call.run(); // the rest of a batch whose reading went to another thread
                return;
            }
            handlingSince = System.nanoTime();
            role.set(reader.reading | 1); // nobody else changes the role while its holder reads
            watch.handling();
            try {
                call.run();
            } finally {
                watch.handled();
                reader.handedOver = !role.compareAndSet(reader.reading | 1, reader.reading);
            }
        }

        /** Called by the watch: a message handled for {@link #SLOW_HANDLER} hands the reading to a new thread. */
        void takeOverIfSlow(long now) {
            long current = role.get();
            if ((current & 1) != 0 && now - handlingSince >= SLOW_HANDLER.toNanos() && !closed) {
                long next = (current >>> 1) + 1;
                if (role.compareAndSet(current, next << 1)) {
                    startReader(next);
                }
            }
        }

        private void receive(String line, Reader reader) throws IOException {
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
                    dispatchContained(m, reader);
                }
                return;
            }
            dispatchContained(message, reader);
        }

        /**
         * {@link #dispatch}, with a failure of ours contained to its message: a request is answered
         * with -32603 (unless the session answered it already) and the session reads on. Without
         * this, the exception would end the reader thread and leave the session hung.
         */
        private void dispatchContained(JsonNode message, Reader reader) throws IOException {
            try {
                dispatch(message, reader);
            } catch (RuntimeException | StackOverflowError e) {
                String method = message.path("method").asText("");
                LOG.log(System.Logger.Level.ERROR, "session " + name + ": internal error handling " + (method.isEmpty() ? "a message" : method), e);
                JsonNode id = message.get("id");
                if (method.isEmpty() || id == null || id.isNull()) {
                    return; // a notification or a response: JSON-RPC answers neither
                }
                if (reader.handing == message && !pending.remove(String.valueOf(id))) {
                    return; // the session answered it before failing
                }
                server.calls().answered(name, id); // forget it as a call in flight
                reject(new JsonRpcChecks.Rejection(id, -32603, "Internal error: " + firstLine(String.valueOf(e))));
            } finally {
                reader.handing = null;
            }
        }

        private void dispatch(JsonNode message, Reader reader) throws IOException {
            JsonRpcChecks.Rejection rejection = JsonRpcChecks.check(message, server::knowsTool);
            if (rejection != null) {
                reject(rejection);
                return;
            }
            String method = message.has("method") ? message.get("method").asText() : null; // a response has none
            if ("initialize".equals(method) && message.hasNonNull("id")) { // a notification of that name is no initialize
                LOG.log(System.Logger.Level.INFO, "{0}: client {1}", name, JsonRpcChecks.client(message.get("params")));
            }
            InFlightCalls calls = server.calls();
            if ("notifications/cancelled".equals(method)) {
                // Handled here: the SDK has no handler for it (it would only log a warning).
                calls.cancel(name, message.get("params"), true);
                return;
            }
            if (message.hasNonNull("id") && method != null && pending.size() >= maxRequestsInFlight) {
                // Each slow request holds a thread: a session may not hold more than this many.
                reject(new JsonRpcChecks.Rejection(message.get("id"), -32000, "Too many requests: this session has "
                        + maxRequestsInFlight + " in flight, the most it may; wait for an answer first"));
                return;
            }
            calls.accept(name, message);
            if ("notifications/initialized".equals(method)) {
                initialized = true;
            }
            McpSchema.JSONRPCMessage decoded;
            try {
                decoded = decode(message, method);
            } catch (IllegalArgumentException e) {
                reject(new JsonRpcChecks.Rejection(message.get("id"), -32600, "Invalid Request: " + firstLine(e.getMessage())));
                return;
            }
            if (decoded instanceof McpSchema.JSONRPCRequest) {
                pending.add(String.valueOf(message.get("id")));
                reader.handing = message;
            }
            Runnable handle = () -> session.handle(decoded)
                    .contextWrite(c -> c.put(McpTransportContext.KEY, context))
                    .onErrorResume(e -> {
                        LOG.log(System.Logger.Level.WARNING, "cannot handle {0}: {1}", method == null ? "" : method, e.getMessage());
                        return Mono.empty();
                    })
                    .subscribe();
            if ("tools/call".equals(method)) {
                handleCall(reader, handle);
            } else {
                handle.run();
            }
            if ("notifications/initialized".equals(method) && listedEarly != null && !listedEarly.equals(EarlyAnswers.toolsDigest(server))) {
                // The shim listed tools from its file, and the server's are others now.
                LOG.log(System.Logger.Level.INFO, "session {0}: the tools listed before the daemon took over have changed since", name);
                session.sendNotification(McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED, null).onErrorResume(e -> Mono.empty()).subscribe();
            }
        }

        /**
         * The SDK's form of a message {@link JsonRpcChecks} accepted. A request's or notification's
         * params stay the JSON tree: the SDK's handlers convert params to their request type
         * themselves, so converting them to Maps first would be a copy per message for nothing.
         */
        private McpSchema.JSONRPCMessage decode(JsonNode message, String method) {
            if (method != null) {
                JsonNode params = message.get("params");
                Object paramsValue = params == null || params.isNull() ? null : params;
                JsonNode id = message.get("id");
                return id != null && !id.isNull() ? new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, method, idValue(id), paramsValue)
                        : new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, method, paramsValue);
            }
            return mapper.convertValue(message, McpSchema.JSONRPCResponse.class);
        }

        /** A request id as the SDK's JSON mapping gives it (String, Integer, Long, BigInteger; the checks allowed no other), echoed in the answer. */
        private static Object idValue(JsonNode id) {
            return id.isTextual() ? id.textValue() : id.numberValue();
        }

        /**
         * Reads one line into {@code buffer}, keeping at most {@code maxLineBytes + 1} characters so an
         * endless line cannot exhaust memory; returns the line's full length, or -1 at end of input.
         */
        private long readLine(StringBuilder buffer) throws IOException {
            buffer.setLength(0);
            long length = 0;
            while (true) {
                if (charsAt == charsEnd) {
                    int n = in.read(chars, 0, chars.length);
                    if (n < 0) {
                        return length == 0 ? -1 : length;
                    }
                    charsAt = 0;
                    charsEnd = n;
                }
                int end = charsAt;
                while (end < charsEnd && chars[end] != '\n') {
                    end++;
                }
                // Pieces between carriage returns, which are dropped; past the limit only counted.
                for (int from = charsAt; from < end; ) {
                    int cr = from;
                    while (cr < end && chars[cr] != '\r') {
                        cr++;
                    }
                    long room = maxLineBytes + 1 - length;
                    if (room > 0) {
                        buffer.append(chars, from, (int) Math.min(cr - from, room));
                    }
                    length += cr - from;
                    from = cr + 1;
                }
                if (end < charsEnd) {
                    charsAt = end + 1;
                    return length;
                }
                charsAt = charsEnd;
            }
        }

        private void reject(JsonRpcChecks.Rejection rejection) throws IOException {
            writeLine(json.writeValueAsBytes(rejection.toJson()));
            LOG.log(System.Logger.Level.WARNING, "session {0}: rejected message: {1}", name, rejection.message());
            if (log != null) {
                log.log(System.Logger.Level.WARNING, "dev.wassette.mcp", "rejected message: " + rejection.message());
            }
        }

        private void send(McpSchema.JSONRPCMessage message) throws IOException {
            if (message instanceof McpSchema.JSONRPCResponse response && response.id() != null) {
                JsonNode id = json.valueToTree(response.id());
                pending.remove(id.toString());
                boolean cancelled = server.calls().answered(name, id);
                if (answeredEarly != null && answeredEarly.remove(id.toString())) {
                    return; // the shim answered it (whatever came after: the id is the client's to use again)
                }
                if (cancelled) {
                    return; // the request was cancelled: no answer
                }
            }
            writeLine(json.writeValueAsBytes(message));
        }

        private void writeLine(byte[] line) throws IOException {
            // one write: with two, a raw stdout costs two system calls and the client may wake twice
            byte[] terminated = java.util.Arrays.copyOf(line, line.length + 1);
            terminated[line.length] = '\n';
            synchronized (out) {
                out.write(terminated);
                out.flush();
            }
        }

        /** Waits until every request handed to the session has been answered, at most {@code timeout}. */
        public boolean awaitAnswered(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!pending.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20); // only at the end of a session
            }
            return pending.isEmpty();
        }

        /**
         * Ends the session: nothing more is written, calls still running are cancelled (nobody is left
         * to read their answers), and it no longer receives notifications.
         */
        public void end(String reason) {
            closed = true;
            connections.remove(this);
            server.calls().cancelSession(name, reason);
            session.close();
            server.sessions().ended(name);
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return Mono.fromRunnable(() -> {
                if (closed) {
                    return;
                }
                try {
                    send(message);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException("session " + name + ": cannot write", e);
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

    /** A thread's hold on a session's reading: its role value, and whether the watch gave the reading to another thread. */
    private static final class Reader {
        final long reading;
        boolean handedOver;
        /** The request this thread has handed to the session, while it is being dispatched. */
        JsonNode handing;

        Reader(long reading) {
            this.reading = reading;
        }
    }

    /**
     * Looks every {@link #SLOW_HANDLER} for sessions whose reader has been handling one tool call that
     * long, and hands their reading to a new thread. It runs while messages are being handled, and
     * for a second after; then it sleeps until the next one, so an idle server is not woken. Readers
     * only count themselves in and out: no wake-up per message.
     */
    private final class HandlerWatch {
        private final java.util.concurrent.atomic.AtomicInteger handling = new java.util.concurrent.atomic.AtomicInteger();
        private final IdleSleepingTicker ticker = new IdleSleepingTicker("wassette-session-watch", SLOW_HANDLER, Duration.ofSeconds(1),
                () -> handling.get() != 0, this::sweep);

        void start() {
            ticker.start();
        }

        void handling() {
            if (handling.getAndIncrement() == 0) {
                ticker.wake();
            }
        }

        void handled() {
            handling.decrementAndGet();
        }

        private void sweep() {
            long now = System.nanoTime();
            for (Connection c : connections) {
                c.takeOverIfSlow(now);
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "malformed message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

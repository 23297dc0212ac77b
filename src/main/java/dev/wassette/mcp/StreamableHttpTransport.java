package dev.wassette.mcp;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpTransportException;
import io.modelcontextprotocol.spec.ProtocolVersions;
import io.modelcontextprotocol.util.KeepAliveScheduler;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The streamable HTTP transport of MCP (one endpoint: POST messages, GET a session's event stream,
 * DELETE a session) on the SDK's session and transport interfaces. Unlike the SDK's servlet, it
 * answers a request with one JSON body when the answer is the only message, as the protocol allows:
 * an event stream costs a flushed write per event and a chunked ending, and its client a parser.
 * A request whose handling sends anything else first (a notification, a request to the client), or
 * that outlives a {@link #HEARTBEAT_MILLIS heartbeat}, is answered with an event stream instead,
 * decided at that moment, since nothing has been written yet.
 *
 * <p>The request filter before it ({@link JsonRpcHttpFilter}) has already checked and parsed the
 * message and hands it over ({@link HttpMessages#PARSED}); a tool call it wants watched carries
 * {@link #ON_CLIENT_GONE}, run when a heartbeat finds the connection closed.
 */
final class StreamableHttpTransport extends HttpServlet implements McpStreamableServerTransportProvider {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    /** Request attribute: a {@link Runnable} to run when the client of a request in flight has gone. */
    static final String ON_CLIENT_GONE = StreamableHttpTransport.class.getName() + ".onClientGone";
    static final String SESSION_HEADER = "Mcp-Session-Id";
    static final long HEARTBEAT_MILLIS = 500;
    private static final Duration SESSION_CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final Heartbeats HEARTBEATS = new Heartbeats();
    /** The versions of the protocol that have streamable HTTP. */
    static final List<String> PROTOCOL_VERSIONS = List.of(ProtocolVersions.MCP_2025_03_26, ProtocolVersions.MCP_2025_06_18,
            ProtocolVersions.MCP_2025_11_25);

    private final McpJsonMapper jsonMapper;
    private final int maxRequestBytes;
    private final McpTransportContextExtractor<HttpServletRequest> contextExtractor;
    private final Map<String, McpStreamableServerSession> sessions = new ConcurrentHashMap<>();
    /** Sessions that made a request since the last sweep. */
    private final AtomicReference<Set<String>> active = new AtomicReference<>(ConcurrentHashMap.newKeySet());
    private final ScheduledExecutorService sweeper;
    private final KeepAliveScheduler keepAlive;
    private volatile McpStreamableServerSession.Factory sessionFactory;
    private volatile boolean closing;

    /**
     * @param sweepInterval a session with no request and no open stream over one interval is closed
     * @param keepAlive     how often sessions with an event stream open are pinged (a failed ping
     *                      releases the stream)
     */
    StreamableHttpTransport(McpJsonMapper jsonMapper, int maxRequestBytes, McpTransportContextExtractor<HttpServletRequest> contextExtractor,
                            Duration sweepInterval, Duration keepAlive) {
        this.jsonMapper = jsonMapper;
        this.maxRequestBytes = maxRequestBytes;
        this.contextExtractor = contextExtractor;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("wassette-http-session-sweeper").daemon().factory());
        this.sweeper.scheduleWithFixedDelay(this::sweep, sweepInterval.toMillis(), sweepInterval.toMillis(), TimeUnit.MILLISECONDS);
        this.keepAlive = KeepAliveScheduler.builder(() -> closing ? Flux.empty()
                        : Flux.fromIterable(sessions.values()).filter(McpStreamableServerSession::hasListeningStream).cast(io.modelcontextprotocol.spec.McpSession.class))
                .initialDelay(keepAlive).interval(keepAlive)
                .onPingFailure(s -> ((McpStreamableServerSession) s).releaseListeningStream())
                .build();
        this.keepAlive.start();
    }

    @Override
    public void setSessionFactory(McpStreamableServerSession.Factory factory) {
        this.sessionFactory = factory;
    }

    /** Whether session {@code id} is open here. */
    boolean holds(String id) {
        return sessions.containsKey(id);
    }

    @Override
    public List<String> protocolVersions() {
        return PROTOCOL_VERSIONS;
    }

    /** Each session's event stream, one after the other, on the calling thread (a client that fails is skipped). */
    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        return Mono.fromRunnable(() -> sessions.values().forEach(session -> {
            try {
                session.sendNotification(method, params).block();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "notification {0} not sent to session {1}: {2}", method, session.getId(), e.getMessage());
            }
        }));
    }

    @Override
    public Mono<Void> notifyClient(String sessionId, String method, Object params) {
        return Mono.defer(() -> {
            McpStreamableServerSession session = sessions.get(sessionId);
            return session == null ? Mono.empty() : session.sendNotification(method, params);
        });
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(() -> {
            closing = true;
            for (McpStreamableServerSession session : sessions.values()) {
                try {
                    session.closeGracefully().block(SESSION_CLOSE_TIMEOUT);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "session {0} did not close: {1}", session.getId(), e.getMessage());
                }
            }
            sessions.clear();
            keepAlive.shutdown();
            sweeper.shutdownNow();
        });
    }

    @Override
    public void destroy() {
        closeGracefully().block();
        super.destroy();
    }

    /**
     * Closes the sessions that made no request since the last sweep and hold no stream open. Never
     * throws: a scheduled task that throws is not run again.
     */
    private void sweep() {
        if (closing) {
            return;
        }
        try {
            Set<String> recent = active.getAndSet(ConcurrentHashMap.newKeySet());
            for (McpStreamableServerSession session : sessions.values()) {
                if (!session.hasOpenStream() && !recent.contains(session.getId()) && sessions.remove(session.getId(), session)) {
                    LOG.log(System.Logger.Level.DEBUG, "closing idle HTTP session {0}", session.getId());
                    session.closeGracefully().onErrorResume(e -> Mono.empty()).block(SESSION_CLOSE_TIMEOUT);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "sweeping idle HTTP sessions failed: {0}", e.toString());
        }
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpMessages.Posted posted = HttpMessages.read(request, response, closing, maxRequestBytes, jsonMapper);
        if (posted == null) {
            return;
        }
        McpSchema.JSONRPCMessage message = posted.message();
        if (message instanceof McpSchema.JSONRPCRequest r && McpSchema.METHOD_INITIALIZE.equals(r.method())) {
            if (!posted.missingAccept().isEmpty()) {
                HttpMessages.error(response, 400, posted.id(), -32600, String.join("; ", posted.missingAccept()));
                return;
            }
            initialize(r, response);
            return;
        }
        String sessionId = request.getHeader(SESSION_HEADER);
        boolean noSession = sessionId == null || sessionId.isBlank();
        if (noSession || !posted.missingAccept().isEmpty()) {
            List<String> problems = new java.util.ArrayList<>(posted.missingAccept());
            if (noSession) {
                problems.add("Session ID required in Mcp-Session-Id header");
            }
            HttpMessages.error(response, 400, posted.id(), -32600, String.join("; ", problems));
            return;
        }
        McpStreamableServerSession session = sessions.get(sessionId);
        if (session == null) {
            HttpMessages.error(response, 404, posted.id(), -32001, "Session not found: " + sessionId);
            return;
        }
        active.get().add(sessionId);
        McpTransportContext context = contextExtractor.extract(request);
        switch (message) {
            case McpSchema.JSONRPCRequest r -> answer(session, r, context, request, response);
            case McpSchema.JSONRPCResponse r -> accepted(session.accept(r), context, response);
            case McpSchema.JSONRPCNotification n -> accepted(session.accept(n), context, response);
            default -> HttpMessages.error(response, 400, posted.id(), -32600, "Invalid Request: not a JSON-RPC message");
        }
    }

    /** A notification or response the session took: 202, or 500 when its handler failed. */
    private static void accepted(Mono<Void> handled, McpTransportContext context, HttpServletResponse response) throws IOException {
        try {
            handled.contextWrite(c -> c.put(McpTransportContext.KEY, context)).block();
        } catch (RuntimeException e) {
            HttpMessages.error(response, 500, null, -32603, "Failed to handle the message: " + e.getMessage());
            return;
        }
        response.setStatus(202);
    }

    private void initialize(McpSchema.JSONRPCRequest request, HttpServletResponse response) throws IOException {
        McpSchema.InitializeRequest params = jsonMapper.convertValue(request.params(), new TypeRef<McpSchema.InitializeRequest>() {});
        McpStreamableServerSession.McpStreamableServerSessionInit init = sessionFactory.startSession(params);
        String id = init.session().getId();
        active.get().add(id);
        sessions.put(id, init.session());
        McpSchema.InitializeResult result;
        try {
            result = init.initResult().block();
        } catch (RuntimeException e) {
            sessions.remove(id);
            HttpMessages.error(response, 500, null, -32603, "Failed to initialize session: " + e.getMessage());
            return;
        }
        response.setHeader(SESSION_HEADER, id);
        HttpMessages.writeJson(response, 200, jsonMapper.writeValueAsBytes(McpSchema.JSONRPCResponse.result(request.id(), result)));
    }

    /**
     * Handles a request on this thread (the server's handlers run where they are called) and answers
     * it as its {@link Exchange} decides: one JSON body, or an event stream.
     */
    private void answer(McpStreamableServerSession session, McpSchema.JSONRPCRequest request, McpTransportContext context,
                        HttpServletRequest http, HttpServletResponse response) {
        Exchange exchange = new Exchange(session.getId(), response);
        Runnable onClientGone = (Runnable) http.getAttribute(ON_CLIENT_GONE);
        Heartbeats.Watch watch = onClientGone == null ? null : HEARTBEATS.add(exchange, onClientGone);
        McpStreamableServerSession.McpStreamableServerSessionStream stream = session.responseStream(exchange);
        try {
            stream.handle(request).contextWrite(c -> c.put(McpTransportContext.KEY, context)).block();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "request {0} of session {1} ended: {2}", request.id(), session.getId(), e.getMessage());
        } finally {
            exchange.answerIfSilent(request.id());
            if (watch != null) {
                HEARTBEATS.remove(watch);
            }
            stream.releaseTransport();
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (closing) {
            HttpMessages.error(response, 503, null, -32000, "Server is shutting down");
            return;
        }
        String accept = request.getHeader("Accept");
        String sessionId = request.getHeader(SESSION_HEADER);
        if (accept == null || !accept.contains(HttpMessages.EVENT_STREAM) || sessionId == null || sessionId.isBlank()) {
            HttpMessages.error(response, 400, null, -32600, "a GET needs Accept: text/event-stream and an Mcp-Session-Id header");
            return;
        }
        McpStreamableServerSession session = sessions.get(sessionId);
        if (session == null) {
            HttpMessages.error(response, 404, null, -32001, "Session not found: " + sessionId);
            return;
        }
        active.get().add(sessionId);
        McpTransportContext context = contextExtractor.extract(request);
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        EventStream events = new EventStream(sessionId, (HttpServletResponse) async.getResponse(), async);
        events.open();
        String lastEventId = request.getHeader("Last-Event-ID");
        if (lastEventId != null) {
            try {
                for (McpSchema.JSONRPCMessage missed : session.replay(lastEventId).contextWrite(c -> c.put(McpTransportContext.KEY, context)).toIterable()) {
                    events.sendMessage(missed).block();
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "replay for session {0} failed: {1}", sessionId, e.getMessage());
                events.close();
                return;
            }
        }
        McpStreamableServerSession.McpStreamableServerSessionStream listening = session.listeningStream(events);
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                listening.releaseTransport();
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                listening.releaseTransport();
            }

            @Override
            public void onError(AsyncEvent event) {
                listening.releaseTransport();
            }

            @Override
            public void onStartAsync(AsyncEvent event) {}
        });
    }

    @Override
    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (closing) {
            HttpMessages.error(response, 503, null, -32000, "Server is shutting down");
            return;
        }
        String sessionId = request.getHeader(SESSION_HEADER);
        if (sessionId == null) {
            HttpMessages.error(response, 400, null, -32600, "Session ID required in Mcp-Session-Id header");
            return;
        }
        McpStreamableServerSession session = sessions.remove(sessionId);
        if (session == null) {
            HttpMessages.error(response, 404, null, -32001, "Session not found: " + sessionId);
            return;
        }
        try {
            session.delete().contextWrite(c -> c.put(McpTransportContext.KEY, contextExtractor.extract(request))).block();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "session {0} did not close cleanly: {1}", sessionId, e.getMessage());
        }
        response.setStatus(200);
    }

    /** {@code id: …}, {@code event: message} and {@code data: …} of one server-sent event, whole. */
    private byte[] event(McpSchema.JSONRPCMessage message, String eventId) throws IOException {
        String data = jsonMapper.writeValueAsString(message);
        return ("id: " + eventId + "\nevent: message\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** What the two kinds of answer share: one message at a time, closed by the SDK when done. */
    private abstract class Answering implements McpStreamableServerTransport {
        @Override
        public final Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return sendMessage(message, null);
        }

        @Override
        public final <T> T unmarshalFrom(Object data, TypeRef<T> type) {
            return jsonMapper.convertValue(data, type);
        }

        @Override
        public final Mono<Void> closeGracefully() {
            return Mono.fromRunnable(this::close);
        }
    }

    /** Turns {@code response} into an event stream: its status and headers, and the stream to write events to. */
    private static OutputStream startEventStream(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType(HttpMessages.EVENT_STREAM);
        response.setHeader("Cache-Control", "no-cache");
        return response.getOutputStream();
    }

    /**
     * The answer to one request: the first message decides. The request's own response first is
     * written as JSON (the request is then over); anything else first, or a heartbeat before any
     * message, turns the answer into an event stream that carries the rest.
     */
    private final class Exchange extends Answering implements Heartbeats.Beating {
        private enum Mode { UNDECIDED, JSON, EVENTS, CLOSED }

        private final String sessionId;
        private final HttpServletResponse response;
        private final ReentrantLock lock = new ReentrantLock();
        private Mode mode = Mode.UNDECIDED;
        private OutputStream out;

        Exchange(String sessionId, HttpServletResponse response) {
            this.sessionId = sessionId;
            this.response = response;
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return Mono.fromRunnable(() -> send(message, messageId));
        }

        private void send(McpSchema.JSONRPCMessage message, String messageId) {
            lock.lock();
            try {
                switch (mode) {
                    case UNDECIDED -> {
                        if (message instanceof McpSchema.JSONRPCResponse) {
                            HttpMessages.writeJson(response, 200, jsonMapper.writeValueAsBytes(message));
                            mode = Mode.JSON;
                        } else {
                            startEvents();
                            writeEvent(event(message, messageId == null ? sessionId : messageId));
                        }
                    }
                    case EVENTS -> writeEvent(event(message, messageId == null ? sessionId : messageId));
                    case JSON, CLOSED -> LOG.log(System.Logger.Level.DEBUG, "message for a finished request of session {0} dropped", sessionId);
                }
            } catch (IOException e) {
                mode = Mode.CLOSED;
                throw new McpTransportException("could not answer on session " + sessionId + ": " + e.getMessage(), e);
            } finally {
                lock.unlock();
            }
        }

        private void startEvents() throws IOException {
            out = startEventStream(response);
            mode = Mode.EVENTS;
        }

        private void writeEvent(byte[] event) throws IOException {
            out.write(event);
            out.flush();
        }

        /** A request that ended without an answer (the handler failed to send it) gets an error, not an empty 200. */
        void answerIfSilent(Object requestId) {
            lock.lock();
            try {
                if (mode == Mode.UNDECIDED) {
                    mode = Mode.JSON;
                    HttpMessages.writeJson(response, 500, jsonMapper.writeValueAsBytes(McpSchema.JSONRPCResponse.error(requestId,
                            new McpSchema.JSONRPCResponse.JSONRPCError(-32603, "Internal error: the request ended without an answer", null))));
                }
            } catch (IOException e) {
                mode = Mode.CLOSED;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean beat() {
            lock.lock();
            try {
                if (mode == Mode.UNDECIDED) {
                    startEvents();
                }
                if (mode == Mode.EVENTS) {
                    writeEvent(HEARTBEAT);
                }
                return true;
            } catch (IOException e) {
                mode = Mode.CLOSED;
                return false;
            } finally {
                lock.unlock();
            }
        }

        /** Nothing more is written; the container ends the response when the request returns. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (mode != Mode.JSON) {
                    mode = Mode.CLOSED;
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** A comment line, which event-stream clients ignore. */
    private static final byte[] HEARTBEAT = ":\n\n".getBytes(StandardCharsets.US_ASCII);

    /** A session's own event stream (GET): every message is an event; closing completes the response. */
    private final class EventStream extends Answering {
        private final String sessionId;
        private final HttpServletResponse response;
        private final AsyncContext async;
        private final ReentrantLock lock = new ReentrantLock();
        private OutputStream out;
        private boolean closed;

        EventStream(String sessionId, HttpServletResponse response, AsyncContext async) {
            this.sessionId = sessionId;
            this.response = response;
            this.async = async;
        }

        void open() throws IOException {
            out = startEventStream(response);
            out.flush(); // the headers now: the client waits for them before it counts the stream as open
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return Mono.fromRunnable(() -> {
                lock.lock();
                try {
                    if (closed) {
                        return;
                    }
                    out.write(event(message, messageId == null ? sessionId : messageId));
                    out.flush();
                } catch (IOException e) {
                    close();
                    throw new McpTransportException("could not write to the event stream of session " + sessionId + ": " + e.getMessage(), e);
                } finally {
                    lock.unlock();
                }
            });
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    async.complete();
                }
            } catch (IllegalStateException e) {
                LOG.log(System.Logger.Level.DEBUG, "event stream of session {0} already ended", sessionId);
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Beats the answers of requests in flight for {@link #HEARTBEAT_MILLIS}, from one thread. A server
     * learns that a client closed its connection only when it writes to it; a call's answer is silent
     * until it is done. A request only adds itself to a set and removes itself (no timer task per
     * call); the thread sleeps while no request has been watched for a second.
     */
    static final class Heartbeats {
        /** Something that can be beaten: false when its client is gone. */
        interface Beating {
            boolean beat();
        }

        /** One watched request. */
        static final class Watch {
            final Beating target;
            final Runnable clientGone;
            final long since = System.nanoTime();

            Watch(Beating target, Runnable clientGone) {
                this.target = target;
                this.clientGone = clientGone;
            }
        }

        private final Set<Watch> watched = ConcurrentHashMap.newKeySet();
        private final IdleSleepingTicker ticker = new IdleSleepingTicker("wassette-http-heartbeat", Duration.ofMillis(HEARTBEAT_MILLIS),
                Duration.ofMillis(2 * HEARTBEAT_MILLIS), () -> !watched.isEmpty(), this::beat);

        Watch add(Beating target, Runnable clientGone) {
            Watch watch = new Watch(target, clientGone);
            watched.add(watch);
            ticker.wake();
            return watch;
        }

        void remove(Watch watch) {
            watched.remove(watch);
        }

        private void beat() {
            long now = System.nanoTime();
            for (Watch w : watched) {
                if (now - w.since >= TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS) && !w.target.beat()) {
                    watched.remove(w);
                    w.clientGone.run();
                }
            }
        }
    }
}

package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ClientEnvironment;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import dev.wassette.runtime.unix.OwnedFileDescriptor;
import dev.wassette.runtime.unix.UnixConnection;
import dev.wassette.runtime.unix.UnixSocketServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-user daemon's front end: MCP sessions over a Unix socket, one per connected
 * {@code wassette-shim}. A connection starts with one handshake line from the shim — its
 * {@code run} arguments, working directory and environment — which the {@link Gate} admits,
 * refuses, or answers with "retired" (this daemon's configuration is out of date; the shim starts a
 * current one). Only the socket's owner may connect (checked with {@code SO_PEERCRED} as well as
 * by the file's mode). The daemon stops after it has been without sessions for the idle time.
 *
 * <p>An admitted session reaches its client one of two ways, chosen in the handshake:
 * <ul>
 * <li><b>Passed stdio</b> (the shim offers {@code "stdio":"pass"} and the answer says
 * {@code "stdio":"pass"}): the shim sends its stdin, stdout and stderr descriptors
 * ({@code SCM_RIGHTS}, with one byte), and the daemon reads the client's requests from that stdin
 * and writes answers to that stdout and the session's own log lines to that stderr — no process in
 * between. The shim only waits on the connection: when the session ends the daemon closes its
 * copies of the three descriptors and sends one line {@code {"exit":N}}, the shim's exit status.
 * The connection becoming readable or hanging up (the shim was killed) ends the session too.
 * If the descriptors do not arrive whole (this process has no descriptor numbers left), the
 * daemon says {@code {"stdio":"relay"}} instead and relays.</li>
 * <li><b>Relay</b> (the shim is told to, with {@code WASSETTE_DAEMON_RELAY=1}; and any shim that does
 * not know the field): the shim's bytes are the session's MCP
 * input, unchanged; the daemon's are frames — a channel byte (1: the client's stdout, 2: its
 * stderr), a 32-bit big-endian length and that many bytes.</li>
 * </ul>
 * Either way stdout carries only JSON-RPC, and a session's log lines reach its client's stderr,
 * where MCP clients look for a server's log. A shim and a daemon that disagree on the field (from
 * different builds) fall back to the relay, which both speak.
 */
public final class LocalSocketServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    /** Handshake version the shim speaks. The stdio field is optional within it (absent: relay). */
    static final int PROTOCOL = 1;
    /** Largest handshake line (arguments plus environment). */
    private static final int MAX_HELLO_BYTES = 4 << 20;
    /** Most input a shim may have read before this daemon took the session (the shim reads less: see the shim's EARLY_INPUT_LIMIT). */
    private static final int MAX_REPLAY_BYTES = 4 << 20;
    /** The descriptors a shim passes: its stdin, stdout and stderr, in that order. */
    private static final int STDIO_DESCRIPTORS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a shim says about its session; {@code offersStdio}: it will pass its stdio descriptors if
     * asked. {@code early}: what the shim answered from {@link EarlyAnswers} while this daemon
     * started (null: nothing), and {@code replay}: the session's input the shim read meanwhile, which
     * the session reads first.
     */
    public record Hello(List<String> args, Path workingDirectory, Map<String, String> environment, boolean offersStdio,
                        EarlyAnswers.Answered early, byte[] replay) {
        public Hello(List<String> args, Path workingDirectory, Map<String, String> environment, boolean offersStdio) {
            this(args, workingDirectory, environment, offersStdio, null, new byte[0]);
        }

        public ClientEnvironment client() {
            return new ClientEnvironment(environment, workingDirectory);
        }
    }

    /** The answer to a {@link Hello}. */
    public sealed interface Admission {
        /**
         * Serve the session on {@code transport}, its tool calls seeing {@code client}; at its end wait up to
         * {@code drain} for answers. {@code notices}, then {@code warnings}, go to the session's stderr first
         * (what its client should know about the server it shares: where its metrics are served,
         * manifest entries that were not loaded). The session's log lines are formatted by
         * {@code lineFormat} (null: the server's).
         */
        record Accept(StreamTransport transport, ClientEnvironment client, Duration drain, List<String> notices, List<String> warnings,
                      java.util.logging.Formatter lineFormat) implements Admission {
            public Accept {
                notices = List.copyOf(notices);
                warnings = List.copyOf(warnings);
            }
        }

        /** Do not serve it: the shim prints {@code message} and exits with {@code exitCode}. */
        record Refuse(String message, int exitCode) implements Admission {}

        /** This daemon no longer fits (its configuration changed): stop accepting; the shim starts another. */
        record Retire(String reason) implements Admission {}
    }

    /** Decides on each session. */
    @FunctionalInterface
    public interface Gate {
        Admission admit(Hello hello) throws Exception;
    }

    private final Path socket;
    private final Object socketInode;
    private final int ownerUid;
    private final UnixSocketServer listening;
    private final Duration idleTimeout;
    private final Gate gate;
    private final java.util.logging.Formatter lineFormat;
    private final AtomicLong ids = new AtomicLong();
    private final Object lock = new Object();
    private int sessions;
    private long idleSince = System.nanoTime();
    private boolean accepting = true;
    private boolean unlinked;

    private LocalSocketServer(Path socket, UnixSocketServer listening, Duration idleTimeout, Gate gate,
                              java.util.logging.Formatter lineFormat) throws IOException {
        this.socket = socket;
        this.lineFormat = lineFormat;
        this.listening = listening;
        this.idleTimeout = idleTimeout;
        this.gate = gate;
        this.ownerUid = (Integer) Files.getAttribute(socket, "unix:uid");
        this.socketInode = Files.getAttribute(socket, "unix:ino");
    }

    /**
     * Listens on {@code socket} (a stale file there is replaced: the shim starts a daemon only after
     * failing to connect, under its lock), readable and writable by its owner only. A session's log
     * lines reach its client formatted by {@code lineFormat}.
     */
    public static LocalSocketServer bind(Path socket, Duration idleTimeout, Gate gate, java.util.logging.Formatter lineFormat)
            throws IOException {
        Files.deleteIfExists(socket);
        UnixSocketServer listening = UnixSocketServer.bind(socket);
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            LocalSocketServer server = new LocalSocketServer(socket, listening, idleTimeout, gate, lineFormat);
            Thread.ofPlatform().name("wassette-daemon-accept").daemon().start(server::acceptLoop);
            return server;
        } catch (IOException | RuntimeException e) {
            listening.close();
            throw e;
        }
    }

    public Path socket() {
        return socket;
    }

    /** Sessions open now. */
    public int sessions() {
        synchronized (lock) {
            return sessions;
        }
    }

    /**
     * Returns when the daemon should exit: it has had no session for the idle time, or it retired
     * and its last session ended. It then accepts no more sessions.
     */
    public void awaitIdle() throws InterruptedException {
        synchronized (lock) {
            while (true) {
                if (sessions == 0) {
                    long left = idleSince + idleTimeout.toNanos() - System.nanoTime();
                    if (left <= 0 || !accepting) {
                        break;
                    }
                    lock.wait(Math.max(1, left / 1_000_000));
                } else {
                    lock.wait();
                }
            }
        }
        stopAccepting("idle for " + idleTimeout.toSeconds() + " s");
    }

    private void acceptLoop() {
        long pauseMillis = 0;
        while (true) {
            UnixConnection connection;
            try {
                connection = listening.accept();
                pauseMillis = 0;
            } catch (IOException e) {
                // e.g. no descriptor numbers left: the connection waits in the backlog until sessions end
                pauseMillis = Math.min(5_000, Math.max(100, pauseMillis * 2));
                LOG.log(System.Logger.Level.WARNING, "daemon socket {0}: accept failed: {1}; trying again in {2} ms", socket,
                        e.getMessage(), String.valueOf(pauseMillis));
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            if (connection == null) {
                return; // stopped accepting
            }
            synchronized (lock) {
                if (!accepting) {
                    connection.close();
                    continue;
                }
                sessions++; // counted from the connection on, so the idle stop cannot race a handshake
            }
            long id = ids.incrementAndGet();
            Thread.ofPlatform().name("wassette-daemon-session-" + id).daemon().start(() -> {
                try {
                    serve(id, connection);
                } finally {
                    connection.close();
                    synchronized (lock) {
                        sessions--;
                        idleSince = System.nanoTime();
                        lock.notifyAll();
                    }
                }
            });
        }
    }

    private void serve(long id, UnixConnection connection) {
        long accepted = System.nanoTime();
        try {
            int peer = connection.peerUid();
            if (peer != ownerUid) {
                LOG.log(System.Logger.Level.WARNING, "daemon: refused a connection from user id {0}", String.valueOf(peer));
                return;
            }
            BufferedInputStream in = new BufferedInputStream(connection.inputStream(), 1 << 16);
            OutputStream out = connection.outputStream();
            Hello hello;
            try {
                hello = hello(in);
            } catch (IllegalArgumentException e) {
                answer(out, Map.of("ok", false, "exit", 2, "message", "bad handshake: " + e.getMessage()));
                return;
            }
            if (hello == null) {
                return; // closed before saying anything
            }
            long heard = System.nanoTime();
            Admission admission;
            try {
                admission = gate.admit(hello);
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "daemon: session {0} not started: {1}", id, e.getMessage());
                admission = new Admission.Refuse("the daemon cannot serve this session: " + e.getMessage(), 1);
            }
            switch (admission) {
                case Admission.Refuse r -> answer(out, Map.of("ok", false, "exit", r.exitCode(), "message", r.message()));
                case Admission.Retire r -> {
                    stopAccepting(r.reason());
                    answer(out, Map.of("ok", false, "retry", true, "message", r.reason()));
                }
                case Admission.Accept a -> {
                    if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
                        LOG.log(System.Logger.Level.DEBUG, "daemon: session {0}: handshake read in {1} µs, admitted in {2} µs", String.valueOf(id),
                                String.valueOf((heard - accepted) / 1000), String.valueOf((System.nanoTime() - heard) / 1000));
                    }
                    if (hello.offersStdio()) {
                        answer(out, Map.of("ok", true, "pid", ProcessHandle.current().pid(), "stdio", "pass"));
                        sessionOnPassedStdio(id, connection, in, out, a, hello);
                    } else {
                        answer(out, Map.of("ok", true, "pid", ProcessHandle.current().pid()));
                        relayedSession(id, in, out, a, hello);
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "daemon: session {0}: {1}", id, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Receives the shim's stdin, stdout and stderr, serves the session on them, closes them, and
     * tells the shim its exit status. Every descriptor received is closed on every path (each exactly
     * once: see {@link OwnedFileDescriptor#close}).
     */
    private void sessionOnPassedStdio(long id, UnixConnection connection, InputStream in, OutputStream out, Admission.Accept accepted,
                                      Hello hello) throws IOException, InterruptedException {
        List<OwnedFileDescriptor> stdio = connection.receiveFileDescriptors(STDIO_DESCRIPTORS);
        try {
            if (stdio.size() != STDIO_DESCRIPTORS) {
                stdio.forEach(OwnedFileDescriptor::close);
                LOG.log(System.Logger.Level.WARNING, "daemon: session {0}: its stdio did not arrive ({1} descriptors); relaying it",
                        id, stdio.size());
                answer(out, Map.of("stdio", "relay"));
                relayedSession(id, in, out, accepted, hello);
                return;
            }
            // The shim sends nothing more: its connection becoming readable means it is gone, which ends the session.
            OwnedFileDescriptor shimGone = connection.descriptor();
            serveSession(id, stdio.get(0).inputStream(shimGone), stdio.get(1).outputStream(shimGone),
                    stdio.get(2).outputStream(shimGone), accepted, hello, "its stdio passed to the daemon");
        } finally {
            // Before the exit line: once the shim has exited, the client's pipes have no writer left here.
            stdio.forEach(OwnedFileDescriptor::close);
        }
        try {
            answer(out, Map.of("exit", 0));
        } catch (IOException e) {
            // the shim is gone; nobody waits for the status
        }
    }

    /** Serves the session over the connection: its input as the shim sends it, its output in frames. */
    private void relayedSession(long id, InputStream in, OutputStream out, Admission.Accept accepted, Hello hello) throws InterruptedException {
        Frames frames = new Frames(out);
        serveSession(id, in, frames.channel(Frames.STDOUT), frames.channel(Frames.STDERR), accepted, hello, "relayed by the shim");
    }

    /**
     * Serves the session on {@code in}/{@code out} until its input ends (the input the shim read
     * first, if any, is read before {@code in}); its own log lines go to {@code log}.
     */
    private void serveSession(long id, InputStream in, OutputStream out, OutputStream log, Admission.Accept accepted, Hello hello, String how)
            throws InterruptedException {
        java.util.logging.Formatter format = accepted.lineFormat() != null ? accepted.lineFormat() : lineFormat;
        SessionLog sessionLog = new ClientLog(log, format);
        InputStream input = hello.replay().length == 0 ? in : new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(hello.replay()), in);
        StreamTransport.Connection session = accepted.transport().open("session-" + id, input, out, accepted.client(), sessionLog, hello.early());
        try {
            accepted.notices().forEach(n -> sessionLog.log(System.Logger.Level.INFO, "dev.wassette.cli", n));
            accepted.warnings().forEach(w -> sessionLog.log(System.Logger.Level.WARNING, "dev.wassette.cli", w));
            LOG.log(System.Logger.Level.INFO, "daemon: session {0} opened in {1} ({2}{3})", String.valueOf(id), accepted.client().workingDirectory(), how,
                    hello.early() == null ? "" : "; the shim answered " + hello.early().requestIds().size() + " of its requests first");
            session.serve(); // on this thread, the session's
            session.awaitAnswered(accepted.drain());
        } finally {
            session.end("the client's session ended");
            LOG.log(System.Logger.Level.INFO, "daemon: session {0} ended", String.valueOf(id));
        }
    }

    /**
     * A session's own log lines, written to its client's stderr: at once, or, inside a
     * {@link dev.wassette.host.LogBatch}, when the batch is flushed (one write for its lines).
     */
    private static final class ClientLog implements SessionLog {
        private final OutputStream out;
        private final java.util.logging.Formatter format;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream(1024);

        ClientLog(OutputStream out, java.util.logging.Formatter format) {
            this.out = out;
            this.format = format;
        }

        @Override
        public void log(java.util.logging.LogRecord record) {
            byte[] line = format.format(record).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            synchronized (this) {
                pending.writeBytes(line);
                if (!dev.wassette.host.LogBatch.deferringFlush()) {
                    flush();
                }
            }
        }

        @Override
        public synchronized void flush() {
            try {
                pending.writeTo(out);
                out.flush();
            } catch (IOException e) {
                // the client is gone; the daemon's log has the lines
            } finally {
                pending.reset();
            }
        }
    }

    /** Reads the handshake line; null if the connection closed first. What follows the line stays in {@code in}. */
    static Hello hello(BufferedInputStream in) throws IOException {
        byte[] line = handshakeLine(in);
        if (line == null) {
            return null;
        }
        JsonNode hello;
        try {
            hello = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (hello == null || !"session".equals(hello.path("wassette").asText()) || hello.path("protocol").asInt() != PROTOCOL) {
            throw new IllegalArgumentException("expected {\"wassette\":\"session\",\"protocol\":" + PROTOCOL
                    + ",…}: the shim and the daemon are from different builds");
        }
        List<String> args = new ArrayList<>();
        for (JsonNode a : hello.path("args")) {
            if (!a.isTextual()) {
                throw new IllegalArgumentException("args must be strings");
            }
            args.add(a.asText());
        }
        String cwd = hello.path("cwd").asText("");
        if (!cwd.startsWith("/")) {
            throw new IllegalArgumentException("cwd must be an absolute path");
        }
        Map<String, String> env = new LinkedHashMap<>();
        if (!(hello.get("env") instanceof ObjectNode variables)) {
            throw new IllegalArgumentException("env must be an object");
        }
        variables.properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        // Absent (a shim that only relays) or "relay": the relay.
        boolean offersStdio = "pass".equals(hello.path("stdio").asText());
        JsonNode early = hello.get("early");
        if (early == null || early.isNull()) {
            return new Hello(args, Path.of(cwd), env, offersStdio);
        }
        if (!(early instanceof ObjectNode) || !early.path("replay").isIntegralNumber() || !early.path("replay").canConvertToInt()
                || early.path("replay").asInt() < 0
                || early.path("replay").asInt() > MAX_REPLAY_BYTES || !early.path("answered").isArray()) {
            throw new IllegalArgumentException("early must be {\"replay\": bytes (at most " + MAX_REPLAY_BYTES + "), \"answered\": [ids], \"tools\": digest}");
        }
        java.util.Set<String> answered = new java.util.HashSet<>();
        for (JsonNode requestId : early.get("answered")) {
            if (!requestId.isTextual() && !requestId.isIntegralNumber()) {
                throw new IllegalArgumentException("a request id is a string or an integer");
            }
            answered.add(requestId.toString()); // as StreamTransport keys requests
        }
        String tools = early.path("tools").isTextual() ? early.get("tools").asText() : null;
        // The shim writes the input it read right after this line.
        byte[] replay = in.readNBytes(early.get("replay").asInt());
        if (replay.length != early.get("replay").asInt()) {
            throw new IllegalArgumentException("the connection ended inside the session's first input");
        }
        return new Hello(args, Path.of(cwd), env, offersStdio, new EarlyAnswers.Answered(answered, tools), replay);
    }

    /**
     * The bytes up to the first newline (which is consumed, not returned), or to the end of the
     * input; null at the end of the input. Read from the buffer a chunk at a time, not a byte at a
     * time (the line carries the client's environment, a few KiB, and this code runs interpreted in
     * a daemon that opens a session now and then); what was read past the newline is put back.
     */
    private static byte[] handshakeLine(BufferedInputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(8192);
        byte[] chunk = new byte[8192];
        while (true) {
            in.mark(chunk.length);
            int n = in.read(chunk);
            if (n < 0) {
                return line.size() == 0 ? null : line.toByteArray();
            }
            int end = 0;
            while (end < n && chunk[end] != '\n') {
                end++;
            }
            if (line.size() + end > MAX_HELLO_BYTES) {
                throw new IllegalArgumentException("longer than " + MAX_HELLO_BYTES + " bytes");
            }
            line.write(chunk, 0, end);
            if (end < n) {
                in.reset();
                in.skipNBytes(end + 1);
                return line.toByteArray();
            }
        }
    }

    /** One JSON line to the shim, in one write. */
    private static void answer(OutputStream out, Map<String, Object> answer) throws IOException {
        byte[] json = JSON.writeValueAsBytes(answer);
        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** Accepts no more sessions: the socket file goes (if it is still this daemon's), the open sessions go on. */
    private void stopAccepting(String why) {
        synchronized (lock) {
            if (!accepting) {
                return;
            }
            accepting = false;
            lock.notifyAll();
        }
        LOG.log(System.Logger.Level.INFO, "daemon: not accepting sessions any more ({0})", why);
        unlink();
        listening.close();
    }

    /** Removes the socket file unless another daemon has bound the path since. */
    public void unlink() {
        synchronized (lock) {
            if (unlinked) {
                return;
            }
            unlinked = true;
        }
        try {
            if (socketInode.equals(Files.getAttribute(socket, "unix:ino"))) {
                Files.delete(socket);
            }
        } catch (IOException e) {
            // already gone
        }
    }

    /** The daemon's side of a connection after the handshake: whole frames, one writer at a time. */
    static final class Frames {
        static final int STDOUT = 1;
        static final int STDERR = 2;
        private final OutputStream socket;

        Frames(OutputStream socket) {
            this.socket = socket;
        }

        /** Header and bytes in one write: one system call per frame, and the shim reads it whole. */
        private synchronized void frame(int channel, byte[] bytes, int length) throws IOException {
            byte[] frame = new byte[5 + length];
            frame[0] = (byte) channel;
            frame[1] = (byte) (length >>> 24);
            frame[2] = (byte) (length >>> 16);
            frame[3] = (byte) (length >>> 8);
            frame[4] = (byte) length;
            System.arraycopy(bytes, 0, frame, 5, length);
            socket.write(frame);
            socket.flush();
        }

        /** A stream whose bytes, at each flush, become one frame on {@code channel}. */
        OutputStream channel(int channel) {
            return new java.io.ByteArrayOutputStream(512) {
                @Override
                public synchronized void flush() throws IOException {
                    if (count > 0) {
                        frame(channel, buf, count);
                        reset();
                    }
                }

                @Override
                public void close() throws IOException {
                    flush();
                }
            };
        }
    }

    @Override
    public void close() {
        stopAccepting("shutting down");
    }
}

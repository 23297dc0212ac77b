package dev.wassette.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * Sits between stdin/stdout and the SDK's stdio transport. Every incoming line must be a JSON
 * object or array of at most {@code maxLineBytes}; anything else is answered here with a JSON-RPC
 * error (parse error or invalid request) and never reaches the transport, so one bad message cannot
 * end the session. Output lines from both writers are written whole, never interleaved.
 */
public final class StdioGuard {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");

    /** stdio has one session; its name keys the calls in flight. */
    private static final String SESSION = "stdio";

    private final ObjectMapper json = new ObjectMapper();
    private final BufferedReader in;
    private final OutputStream rawOut;
    private final PipedOutputStream toTransport = new PipedOutputStream();
    private final PipedInputStream transportIn;
    private final OutputStream transportOut;
    private final int maxLineBytes;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    /** Ids of requests forwarded and not answered yet, so shutdown can wait for them. */
    private final java.util.Set<String> pending = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private volatile java.util.function.Predicate<String> knownTool = name -> true;

    private volatile InFlightCalls calls;

    /** Lets tools/call for unknown tools be answered here (with the tool's name in the message). */
    public void knownTools(java.util.function.Predicate<String> known) {
        this.knownTool = known;
    }

    /**
     * Serves {@code server}: unknown tools are answered here, tool calls are stamped so that
     * {@code notifications/cancelled} stops them, and the responses of cancelled calls are dropped.
     */
    public void serve(WassetteMcpServer server) {
        this.knownTool = server::knowsTool;
        this.calls = server.calls();
    }

    public StdioGuard(InputStream stdin, OutputStream stdout, int maxLineBytes) throws IOException {
        this.in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        this.rawOut = stdout;
        this.transportIn = new PipedInputStream(toTransport, 1 << 16);
        this.transportOut = new LineOutput();
        this.maxLineBytes = maxLineBytes;
    }

    /** What the transport reads: only well-formed messages. */
    public InputStream transportInput() {
        return transportIn;
    }

    /** What the transport writes to: whole lines reach stdout atomically. */
    public OutputStream transportOutput() {
        return transportOut;
    }

    /** Starts forwarding stdin; the returned latch opens when stdin ends. */
    public CountDownLatch start() {
        Thread.ofPlatform().name("wassette-stdin").daemon().start(this::pump);
        return closed;
    }

    private void pump() {
        try {
            StringBuilder buffer = new StringBuilder();
            while (true) {
                long length = readLine(buffer);
                if (length < 0) {
                    break;
                }
                if (length > maxLineBytes) {
                    reply(null, -32600, "Invalid Request: message of " + length + " characters exceeds the limit of " + maxLineBytes);
                    continue;
                }
                String line = buffer.toString();
                if (line.isBlank()) {
                    continue;
                }
                JsonRpcChecks.Rejection rejection = JsonRpcChecks.check(line, knownTool);
                if (rejection != null) {
                    reply(rejection);
                    continue;
                }
                JsonNode message = json.readTree(line);
                InFlightCalls inFlight = calls;
                if (inFlight != null) {
                    if (message.isObject() && "notifications/cancelled".equals(message.path("method").asText())) {
                        // Handled here: the SDK has no handler for it (it would only log a warning).
                        inFlight.cancel(SESSION, message.get("params"), true);
                        continue;
                    }
                    if (inFlight.accept(SESSION, message).changed()) {
                        line = json.writeValueAsString(message);
                    }
                }
                if (message.isObject() && message.has("method") && message.hasNonNull("id")) {
                    pending.add(message.get("id").toString());
                }
                toTransport.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                toTransport.flush();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "stdin failed: {0}", e.getMessage());
        } finally {
            closed.countDown();
            // The transport's input stays open until close(): ending it would end the session
            // before the answers to requests still running are written. This thread must stay
            // alive meanwhile (a piped stream whose writer thread died reads as broken).
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                toTransport.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
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

    /** Ends the transport's input; call after {@link #awaitAnswered}. */
    public void close() {
        release.countDown();
    }

    private void reply(JsonNode id, int code, String message) throws IOException {
        reply(new JsonRpcChecks.Rejection(id, code, message));
    }

    private void reply(JsonRpcChecks.Rejection rejection) throws IOException {
        writeLine(json.writeValueAsBytes(rejection.toJson()));
        LOG.log(System.Logger.Level.WARNING, "rejected stdin message: {0}", rejection.message());
    }

    /** Waits until every forwarded request has been answered, at most {@code timeout}. */
    public boolean awaitAnswered(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return pending.isEmpty();
    }

    /** Notes a response as answered; returns false when it answers a cancelled request and must not be sent. */
    private boolean answered(byte[] line) {
        if (pending.isEmpty()) {
            return true;
        }
        try {
            JsonNode message = json.readTree(line);
            if (message != null && message.hasNonNull("id") && (message.has("result") || message.has("error"))) {
                pending.remove(message.get("id").toString());
                InFlightCalls inFlight = calls;
                return inFlight == null || !inFlight.answered(SESSION, message.get("id"));
            }
        } catch (IOException ignored) {
            // not ours to judge: the transport wrote it
        }
        return true;
    }

    private void writeLine(byte[] line) throws IOException {
        if (!answered(line)) {
            return;
        }
        synchronized (rawOut) {
            rawOut.write(line);
            rawOut.write('\n');
            rawOut.flush();
        }
    }

    /** Buffers the transport's bytes per line and writes each line under the output lock. */
    private final class LineOutput extends OutputStream {
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) throws IOException {
            if (b == '\n') {
                writeLine(line.toByteArray());
                line.reset();
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            synchronized (rawOut) {
                rawOut.flush();
            }
        }
    }
}

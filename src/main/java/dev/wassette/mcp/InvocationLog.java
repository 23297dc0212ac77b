package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.LogBatch;
import dev.wassette.host.LogFields;
import dev.wassette.tools.GuestBacktrace;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * One log line per tool call (logger {@code dev.wassette.invocation}, stderr): tool, component,
 * instantiation and execution time, outcome, and the arguments with secrets redacted and long
 * strings cut. The line carries the same as {@link LogFields}, for the JSON log format.
 */
final class InvocationLog {
    private static final String LOGGER = "dev.wassette.invocation";
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(LOGGER);
    private static final int MAX_STRING = 120;

    private InvocationLog() {}

    /** One call, as recorded on the call's thread; formatted and written by the log thread. */
    private record Entry(String tool, String component, JsonNode args, long instantiateNanos, long executeNanos,
                         String outcome, java.util.List<String> backtrace, String traceId, SessionLog session) {}

    /**
     * Formatting (redaction, JSON) and the synchronous write to stderr happen on one log thread, off
     * the calls' path. The queue is bounded and a full queue makes callers wait rather than drop a
     * line: the log stays complete.
     */
    private static final java.util.concurrent.BlockingQueue<Entry> QUEUE = new java.util.concurrent.ArrayBlockingQueue<>(16_384);
    private static final java.util.concurrent.atomic.AtomicLong WRITTEN = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong QUEUED = new java.util.concurrent.atomic.AtomicLong();

    /** Set while the log thread waits for a line with no timeout (after a quiet spell); a recorder then wakes it. */
    private static volatile boolean asleep;
    private static final Thread WRITER;

    static {
        WRITER = Thread.ofPlatform().name("wassette-invocation-log").daemon().start(InvocationLog::drain);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> flush(java.time.Duration.ofSeconds(2))));
    }

    /**
     * One call, with the guest backtrace of a trap (bounded; innermost frame first; empty if none)
     * and the trace id of the call's span (null if not traced). {@code args} must not change
     * afterwards. {@code session}, if not null, also gets the line (the calling session's log).
     */
    static void record(String tool, String component, JsonNode args, long instantiateNanos, long executeNanos, String outcome,
                       java.util.List<String> backtrace, String traceId, SessionLog session) {
        if (!LOG.isLoggable(java.util.logging.Level.INFO)) {
            return;
        }
        QUEUED.incrementAndGet();
        try {
            QUEUE.put(new Entry(tool, component, args, instantiateNanos, executeNanos, outcome, backtrace, traceId, session));
            if (asleep) {
                asleep = false;
                java.util.concurrent.locks.LockSupport.unpark(WRITER);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            write(new Entry(tool, component, args, instantiateNanos, executeNanos, outcome, backtrace, traceId, session));
        }
    }

    /** Waits until every line recorded so far is written, at most {@code timeout}. */
    static boolean flush(java.time.Duration timeout) {
        long target = QUEUED.get();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (WRITTEN.get() < target && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        return WRITTEN.get() >= target;
    }

    /**
     * Writes what is queued, then sleeps for {@link #BATCH_PAUSE_NANOS} rather than waiting on the
     * queue: a thread waiting on the queue would be woken by every call (a futex wake and two context
     * switches per call, a tenth of a trivial call's CPU), while a sleeping one is woken by nobody.
     * The pause is short, so that a batch is a few lines (a long one is a burst of CPU beside the
     * calls, and was the slowest percent of them); after {@link #QUIET_ROUNDS} empty pauses the
     * thread waits until a line comes, so an idle server is not woken at all. Lines appear up to
     * that pause later; a full queue still makes callers wait, never drop. A batch leaves in one
     * write per destination ({@link LogBatch}), not one per line.
     */
    private static void drain() {
        java.util.List<Entry> batch = new java.util.ArrayList<>(MAX_BATCH);
        java.util.Set<SessionLog> sessions = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        int quiet = 0;
        while (true) {
            if (QUEUE.drainTo(batch, MAX_BATCH) == 0) {
                if (++quiet < QUIET_ROUNDS) {
                    java.util.concurrent.locks.LockSupport.parkNanos(BATCH_PAUSE_NANOS);
                } else {
                    asleep = true;
                    if (QUEUE.isEmpty()) {
                        java.util.concurrent.locks.LockSupport.park();
                    }
                    asleep = false;
                }
                if (Thread.interrupted()) {
                    return;
                }
                continue;
            }
            quiet = 0;
            LogBatch.write(() -> {
                for (Entry next : batch) {
                    try {
                        write(next);
                    } catch (RuntimeException e) {
                        // a line that cannot be formatted must not stop the others (write counted it)
                    }
                    if (next.session() != null) {
                        sessions.add(next.session());
                    }
                }
                sessions.forEach(SessionLog::flush);
            });
            batch.clear();
            sessions.clear();
        }
    }

    private static final int MAX_BATCH = 256;
    private static final long BATCH_PAUSE_NANOS = 4_000_000;
    private static final int QUIET_ROUNDS = 50;

    private static void write(Entry e) {
        try {
            JsonNode args = redact(e.args());
            // Built here rather than by the logging framework's MessageFormat: this runs once per call.
            StringBuilder line = new StringBuilder(160).append("tool=").append(e.tool())
                    .append(" component=").append(e.component() == null ? "-" : e.component())
                    .append(" instantiate=");
            millis(line, e.instantiateNanos()).append("ms execute=");
            millis(line, e.executeNanos()).append("ms outcome=").append(e.outcome()).append(" args=").append(args);
            java.util.List<String> frames = e.backtrace().isEmpty() ? java.util.List.of() : GuestBacktrace.bounded(e.backtrace());
            if (!frames.isEmpty()) {
                line.append(" backtrace=").append(String.join(" < ", frames));
            }
            if (e.traceId() != null) {
                line.append(" trace=").append(e.traceId());
            }
            String text = line.toString();
            java.util.logging.LogRecord record = new java.util.logging.LogRecord(java.util.logging.Level.INFO, text);
            record.setLoggerName(LOGGER);
            record.setParameters(new Object[] {LogFields.lazy(() -> fields(e, args, frames))});
            LOG.log(record);
            if (e.session() != null) {
                e.session().log(record);
            }
        } finally {
            WRITTEN.incrementAndGet();
        }
    }

    /** The line's fields, for the JSON log format (made only when a formatter asks). */
    private static ObjectNode fields(Entry e, JsonNode args, java.util.List<String> frames) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode().put("tool", e.tool()).put("component", e.component())
                .put("instantiate_ms", e.instantiateNanos() / 1e6).put("execute_ms", e.executeNanos() / 1e6).put("outcome", e.outcome());
        fields.set("args", args);
        if (!frames.isEmpty()) {
            frames.forEach(fields.putArray("backtrace")::add);
        }
        if (e.traceId() != null) {
            fields.put("trace_id", e.traceId());
        }
        return fields;
    }

    /** Nanoseconds as milliseconds with three decimals ({@code 1.234}). */
    static StringBuilder millis(StringBuilder out, long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        long fraction = micros % 1_000;
        out.append(micros / 1_000).append('.');
        if (fraction < 100) {
            out.append(fraction < 10 ? "00" : "0");
        }
        return out.append(fraction);
    }

    /** A copy of {@code node} with values under secret-looking keys replaced and long strings cut. */
    static JsonNode redact(JsonNode node) {
        if (node == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.set(e.getKey(), sensitive(e.getKey()) ? JsonNodeFactory.instance.textNode("[REDACTED]") : redact(e.getValue()));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> out.add(redact(n)));
            return out;
        }
        if (node.isTextual() && node.asText().length() > MAX_STRING) {
            String s = node.asText();
            return JsonNodeFactory.instance.textNode(s.substring(0, MAX_STRING) + "…(" + s.length() + " chars)");
        }
        return node;
    }

    static boolean sensitive(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("token") || k.contains("key");
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class InvocationLogTest {
    @Test
    void secretsAreRedactedAndLongStringsCut() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String long200 = "x".repeat(200);
        var args = json.readTree("{\"user\":\"ada\",\"password\":\"p\",\"apiKey\":\"k\",\"nested\":{\"access_token\":\"t\",\"note\":\"" + long200 + "\"},"
                + "\"list\":[{\"client_secret\":\"s\"}]}");
        assertEquals("{\"user\":\"ada\",\"password\":\"[REDACTED]\",\"apiKey\":\"[REDACTED]\",\"nested\":{\"access_token\":\"[REDACTED]\",\"note\":\""
                + "x".repeat(120) + "…(200 chars)\"},\"list\":[{\"client_secret\":\"[REDACTED]\"}]}", InvocationLog.redact(args).toString());
    }

    /** A session's log that keeps what it was given and what was flushed, in order. */
    private static final class SessionLines implements SessionLog {
        final List<String> events = new ArrayList<>();

        @Override
        public synchronized void log(LogRecord record) {
            events.add(dev.wassette.host.LogBatch.deferringFlush() ? "batched " + record.getMessage() : "at once " + record.getMessage());
            notifyAll();
        }

        @Override
        public synchronized void flush() {
            events.add("flush");
            notifyAll();
        }

        synchronized List<String> awaitFlushes(int flushes, Duration bound) throws InterruptedException {
            long deadline = System.nanoTime() + bound.toNanos();
            while (events.stream().filter("flush"::equals).count() < flushes && System.nanoTime() < deadline) {
                wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
            return List.copyOf(events);
        }
    }

    @Test
    void aBurstOfCallsIsWrittenAsBatchesEachFlushedOnceAndALineAfterAQuietSpellStillComes() throws Exception {
        SessionLines session = new SessionLines();
        var args = new ObjectMapper().readTree("{\"a\":1}");
        for (int i = 0; i < 20; i++) {
            InvocationLog.record("add", "types", args, 1_000, 2_000, "ok", List.of(), null, session);
        }
        assertTrue(InvocationLog.flush(Duration.ofSeconds(10)), "the 20 lines are written");
        List<String> burst = session.awaitFlushes(1, Duration.ofSeconds(10));
        assertEquals(20, burst.stream().filter(e -> e.startsWith("batched tool=add component=types")).count(), burst.toString());
        assertEquals("flush", burst.getLast(), "each batch ends with a flush: " + burst);
        assertTrue(burst.stream().filter("flush"::equals).count() <= 20, burst.toString());

        // Idle for longer than the writer's quiet rounds (it then waits for the next line without a
        // timeout), then one more call: its line must still be written, and flushed.
        Thread.sleep(500);
        int before = (int) burst.stream().filter("flush"::equals).count();
        InvocationLog.record("add", "types", args, 1_000, 2_000, "ok", List.of(), null, session);
        assertTrue(InvocationLog.flush(Duration.ofSeconds(10)), "the line after the quiet spell is written");
        List<String> after = session.awaitFlushes(before + 1, Duration.ofSeconds(10));
        assertEquals(21, after.stream().filter(e -> e.startsWith("batched ")).count(), after.toString());
        assertEquals("flush", after.getLast(), after.toString());
    }
}

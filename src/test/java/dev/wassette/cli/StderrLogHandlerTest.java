package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wassette.host.LogBatch;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class StderrLogHandlerTest {
    /** Stderr as the handler sees it: what reached it, and how many writes pushed it there. */
    private static final class CountingStderr extends ByteArrayOutputStream {
        int writes;

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes++;
            super.write(b, off, len);
        }
    }

    @Test
    void eachRecordIsWrittenAtOnceExceptInsideABatchWhichLeavesInOneWrite() {
        CountingStderr stderr = new CountingStderr();
        PrintStream original = System.err;
        System.setErr(new PrintStream(stderr, false));
        StderrLogHandler handler;
        try {
            handler = new StderrLogHandler(new LogLineFormatter());
        } finally {
            System.setErr(original);
        }
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler); // LogBatch flushes the root logger's handlers
        try {
            handler.publish(record("a warning"));
            assertEquals(1, stderr.writes, "a record outside a batch is written at once");
            LogBatch.write(() -> {
                for (int i = 0; i < 10; i++) {
                    handler.publish(record("line " + i));
                }
                assertEquals(1, stderr.writes, "nothing of the batch is written before its end");
            });
            assertEquals(2, stderr.writes, "the batch's ten lines leave in one write");
            String text = stderr.toString();
            assertEquals(11, text.lines().count(), text);
            assertEquals(true, text.lines().toList().getLast().endsWith("line 9"), text);
            handler.publish(record("after"));
            assertEquals(3, stderr.writes);
        } finally {
            root.removeHandler(handler);
        }
    }

    private static LogRecord record(String message) {
        LogRecord record = new LogRecord(Level.INFO, message);
        record.setLoggerName("dev.wassette.test");
        return record;
    }
}

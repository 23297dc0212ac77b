package dev.wassette.cli;

import dev.wassette.host.LogBatch;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

/**
 * The process's log on stderr, as {@link java.util.logging.ConsoleHandler} writes it (flushed after
 * every record), except inside a {@link LogBatch}: the invocation log's lines of a batch leave in one
 * write, not one per line (each write is a system call on the path of the next tool call).
 */
final class StderrLogHandler extends StreamHandler {
    /** A batch collects here, so that it reaches stderr (whose every write is a system call) in one write. */
    private static final int BATCH_BUFFER = 64 * 1024;

    StderrLogHandler(Formatter formatter) {
        super(new java.io.BufferedOutputStream(System.err, BATCH_BUFFER), formatter);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        super.publish(record);
        if (!LogBatch.deferringFlush()) {
            flush();
        }
    }

    /** Flushes; stderr stays open (it is the process's, as ConsoleHandler leaves it). */
    @Override
    public synchronized void close() {
        flush();
    }
}

package dev.wassette.mcp;

import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Where the log lines that belong to one session also go, besides the server's log: the stderr of
 * that session's client. A daemon session's client is its shim, whose stderr is what an MCP client
 * shows as the server's log; lines of other sessions never reach it.
 */
@FunctionalInterface
public interface SessionLog {
    /** A record, formatted as the session's client asked ({@code --log-format}). */
    void log(LogRecord record);

    /** Writes what {@link #log} buffered inside a {@link dev.wassette.host.LogBatch}. */
    default void flush() {}

    default void log(System.Logger.Level level, String logger, String message) {
        LogRecord record = new LogRecord(julLevel(level), message);
        record.setLoggerName(logger);
        log(record);
    }

    private static Level julLevel(System.Logger.Level level) {
        return switch (level) {
            case ALL, TRACE -> Level.FINER;
            case DEBUG -> Level.FINE;
            case INFO -> Level.INFO;
            case WARNING -> Level.WARNING;
            case ERROR -> Level.SEVERE;
            case OFF -> Level.OFF;
        };
    }
}

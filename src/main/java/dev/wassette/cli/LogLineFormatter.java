package dev.wassette.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One log line: {@code 2026-11-25T23:14:37.836 INFO logger: message}, then the stack trace of an
 * exception if there is one. The same lines as {@link java.util.logging.SimpleFormatter} with the
 * default format of this project, without what makes that one costly per line: it asks every record
 * for its source class, which walks the stack of the logging thread.
 */
final class LogLineFormatter extends Formatter {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    /** The last second formatted: lines come many to a second, and the formatter is costly where it runs cold (a daemon's session). */
    private record Second(long epochSecond, String text) {}

    private volatile Second lastSecond = new Second(Long.MIN_VALUE, "");

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(128);
        appendTime(record.getInstant(), line);
        line.append(' ').append(record.getLevel().getLocalizedName()).append(' ').append(record.getLoggerName()).append(": ")
                .append(dev.wassette.host.LogFields.of(record) != null ? record.getMessage() : LogMessages.text(this, record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(System.lineSeparator()).append(trace.toString().stripTrailing());
        }
        return line.append(System.lineSeparator()).toString();
    }

    /** {@code uuuu-MM-dd'T'HH:mm:ss.SSS} in the system's zone (whose offsets change only at whole seconds). */
    void appendTime(java.time.Instant time, StringBuilder line) {
        Second second = lastSecond;
        if (second.epochSecond() != time.getEpochSecond()) {
            second = new Second(time.getEpochSecond(), SECONDS.format(time));
            lastSecond = second;
        }
        int millis = time.getNano() / 1_000_000;
        line.append(second.text()).append('.').append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
                .append((char) ('0' + millis % 10));
    }
}

package dev.wassette.host;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The fields of a log line, as its only parameter, for formatters that write them one by one (the
 * JSON log format); the record's message is the same line as text, written as is (not a pattern).
 */
public record LogFields(ObjectNode fields) {
    /** The fields of {@code record}, or null if it carries none. */
    public static LogFields of(java.util.logging.LogRecord record) {
        Object[] parameters = record.getParameters();
        return parameters != null && parameters.length == 1 && parameters[0] instanceof LogFields f ? f : null;
    }
}

package dev.wassette.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Supplier;

/**
 * The fields of a log line, as its only parameter, for formatters that write them one by one (the
 * JSON log format); the record's message is the same line as text, written as is (not a pattern).
 * The fields may be made on first use: a text log never asks for them.
 */
public final class LogFields {
    private Supplier<ObjectNode> make;
    private ObjectNode fields;

    public LogFields(ObjectNode fields) {
        this.fields = fields;
    }

    private LogFields(Supplier<ObjectNode> make) {
        this.make = make;
    }

    /** Fields made by {@code make} when a formatter first asks for them (at most once). */
    public static LogFields lazy(Supplier<ObjectNode> make) {
        return new LogFields(make);
    }

    /** The fields. */
    public synchronized ObjectNode fields() {
        if (fields == null) {
            fields = make.get();
            make = null;
        }
        return fields;
    }

    /** The fields of {@code record}, or null if it carries none. */
    public static LogFields of(java.util.logging.LogRecord record) {
        Object[] parameters = record.getParameters();
        return parameters != null && parameters.length == 1 && parameters[0] instanceof LogFields f ? f : null;
    }
}

package dev.wassette.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.LogFields;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per log line, for log shippers ({@code --log-format json}): {@code time} (UTC,
 * ISO-8601), {@code level}, {@code logger}, {@code message}, the record's own fields when it has
 * them (a tool call's tool, component, times, outcome and redacted arguments) and {@code exception}
 * with its stack trace.
 */
final class JsonLogFormatter extends Formatter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    @Override
    public String format(LogRecord record) {
        StringWriter line = new StringWriter(192);
        LogFields fields = LogFields.of(record);
        try (JsonGenerator out = FACTORY.createGenerator(line)) {
            out.writeStartObject();
            out.writeStringField("time", record.getInstant().toString());
            out.writeStringField("level", record.getLevel().getName());
            out.writeStringField("logger", record.getLoggerName());
            out.writeStringField("message", fields != null ? record.getMessage() : LogMessages.text(this, record));
            if (fields != null) {
                for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> f : fields.fields().properties()) {
                    if (!f.getKey().equals("time") && !f.getKey().equals("level") && !f.getKey().equals("logger") && !f.getKey().equals("message")) {
                        out.writeFieldName(f.getKey());
                        JSON.writeTree(out, f.getValue());
                    }
                }
            }
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                out.writeStringField("exception", trace.toString().stripTrailing());
            }
            out.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return line.append(System.lineSeparator()).toString();
    }
}

package dev.wassette.cli;

import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * A log record's message with its parameters in place, as {@link Formatter#formatMessage} makes it,
 * without {@link java.text.MessageFormat} for the usual case: placeholders {@code {0}}…{@code {9}}
 * with text parameters. MessageFormat parses the pattern and builds its formats at every line —
 * about a tenth of the daemon's work to open a session, whose code runs interpreted. Anything else
 * (quotes, {@code {0,number}}, number or date parameters, which MessageFormat formats by locale)
 * goes to MessageFormat, so every line reads as before.
 */
final class LogMessages {
    private LogMessages() {}

    static String text(Formatter formatter, LogRecord record) {
        String message = record.getMessage();
        Object[] parameters = record.getParameters();
        if (message == null || parameters == null || parameters.length == 0 || record.getResourceBundle() != null
                || message.indexOf('\'') >= 0) {
            return formatter.formatMessage(record);
        }
        int open = message.indexOf('{');
        if (open < 0) {
            return message; // as Formatter.formatMessage: a message without placeholders is printed as it is
        }
        for (Object p : parameters) {
            if (p instanceof Number || p instanceof java.util.Date || p instanceof java.time.temporal.TemporalAccessor) {
                return formatter.formatMessage(record);
            }
        }
        StringBuilder text = new StringBuilder(message.length() + 32 * parameters.length);
        int from = 0;
        for (; open >= 0; open = message.indexOf('{', open + 1)) {
            int index = open + 2 < message.length() && message.charAt(open + 2) == '}' ? message.charAt(open + 1) - '0' : -1;
            if (index < 0 || index > 9) {
                return formatter.formatMessage(record); // a brace that is not a plain placeholder
            }
            text.append(message, from, open).append(index < parameters.length ? String.valueOf(parameters[index]) : message.substring(open, open + 3));
            from = open + 3;
        }
        return text.append(message, from, message.length()).toString();
    }
}

package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * One log line per tool call (logger {@code dev.wassette.invocation}, stderr): tool, component,
 * instantiation and execution time, outcome, and the arguments with secrets redacted and long
 * strings cut.
 */
final class InvocationLog {
    private static final System.Logger LOG = System.getLogger("dev.wassette.invocation");
    private static final int MAX_STRING = 120;

    private InvocationLog() {}

    static void record(String tool, String component, JsonNode args, long instantiateNanos, long executeNanos, String outcome) {
        record(tool, component, args, instantiateNanos, executeNanos, outcome, java.util.List.of());
    }

    /** With the guest backtrace of a trap (bounded; innermost frame first). */
    static void record(String tool, String component, JsonNode args, long instantiateNanos, long executeNanos, String outcome,
                       java.util.List<String> backtrace) {
        if (!LOG.isLoggable(System.Logger.Level.INFO)) {
            return;
        }
        String trace = backtrace.isEmpty() ? "" : " backtrace=" + String.join(" < ", GuestBacktrace.bounded(backtrace));
        LOG.log(System.Logger.Level.INFO, "tool={0} component={1} instantiate={2}ms execute={3}ms outcome={4} args={5}{6}",
                tool, component == null ? "-" : component, millis(instantiateNanos), millis(executeNanos), outcome, redact(args), trace);
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
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

package dev.wassette.host;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every denial and limit hit: logged (logger {@code dev.wassette.audit}, stderr) with the component,
 * the function, what decided and the trace id of the call when it is traced, and counted per
 * category. Each line also carries its {@link LogFields} for the JSON log format.
 */
public final class Audit {
    public enum Category { NETWORK, STORAGE, ENVIRONMENT, TIMEOUT, CPU, MEMORY, STACK, RESULT_SIZE, POLICY, QUOTA }

    private static final String LOGGER = "dev.wassette.audit";
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(LOGGER);
    private final Map<Category, AtomicLong> counts = new EnumMap<>(Category.class);

    public Audit() {
        for (Category c : Category.values()) {
            counts.put(c, new AtomicLong());
        }
    }

    /**
     * Counts and logs a denial.
     *
     * @param traceId the trace id of the call's span, or null when it is not traced
     */
    public void deny(String componentId, String function, Category category, String detail, String traceId) {
        counts.get(category).incrementAndGet();
        if (!LOG.isLoggable(java.util.logging.Level.WARNING)) {
            return;
        }
        String name = category.name().toLowerCase(Locale.ROOT);
        StringBuilder line = new StringBuilder(128).append("denied component=").append(componentId)
                .append(" function=").append(function).append(" category=").append(name).append(": ").append(detail);
        ObjectNode fields = JsonNodeFactory.instance.objectNode().put("event", "denied").put("component", componentId)
                .put("function", function).put("category", name).put("detail", detail);
        if (traceId != null) {
            line.append(" trace=").append(traceId);
            fields.put("trace_id", traceId);
        }
        java.util.logging.LogRecord record = new java.util.logging.LogRecord(java.util.logging.Level.WARNING, line.toString());
        record.setLoggerName(LOGGER);
        record.setParameters(new Object[] {new LogFields(fields)});
        LOG.log(record);
    }

    public long count(Category category) {
        return counts.get(category).get();
    }

    public Map<Category, Long> counts() {
        Map<Category, Long> out = new EnumMap<>(Category.class);
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}

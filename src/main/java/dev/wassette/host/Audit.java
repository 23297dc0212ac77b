package dev.wassette.host;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every denial and limit hit: logged (logger {@code dev.wassette.audit}, stderr) with the component,
 * the function and what decided, and counted per category (the counters feed metrics).
 */
public final class Audit {
    public enum Category { NETWORK, STORAGE, ENVIRONMENT, TIMEOUT, CPU, MEMORY, STACK, RESULT_SIZE, POLICY, QUOTA }

    private static final System.Logger LOG = System.getLogger("dev.wassette.audit");
    private final Map<Category, AtomicLong> counts = new EnumMap<>(Category.class);

    public Audit() {
        for (Category c : Category.values()) {
            counts.put(c, new AtomicLong());
        }
    }

    public void deny(String componentId, String function, Category category, String detail) {
        counts.get(category).incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "denied component={0} function={1} category={2}: {3}",
                componentId, function, category.name().toLowerCase(), detail);
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

package dev.wassette.host;

import dev.wassette.runtime.HostFunction;
import dev.wassette.runtime.Val;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code wassette:host/log@0.1.0} interface, implemented in Java: guests log through the
 * host's logger (stderr, never stdout) and read host configuration values.
 *
 * <pre>
 * interface log {
 *   enum level { debug, info, warn, error }
 *   record entry { level: level, message: string, fields: list&lt;tuple&lt;string, string&gt;&gt; }
 *   log: func(level: level, message: string);
 *   log-entry: func(e: entry) -> u32;
 *   get-config: func(key: string) -> option&lt;string&gt;;
 * }
 * </pre>
 */
public final class HostLog {
    public static final String INTERFACE = "wassette:host/log@0.1.0";
    private static final System.Logger LOG = System.getLogger("dev.wassette.guest");

    private final Map<String, String> config;
    private final AtomicLong entries = new AtomicLong();

    /** {@code config} answers {@code get-config}. */
    public HostLog(Map<String, String> config) {
        this.config = Map.copyOf(config);
    }

    public long entriesSeen() {
        return entries.get();
    }

    /** The functions, keyed by WIT name, for {@link dev.wassette.runtime.Linker#defineInterface}. */
    public Map<String, HostFunction> functions() {
        Map<String, HostFunction> f = new LinkedHashMap<>();
        f.put("log", args -> {
            log(level(args.get(0)), ((Val.Str) args.get(1)).value(), List.of());
            return null;
        });
        f.put("log-entry", args -> {
            Val.RecordVal entry = (Val.RecordVal) args.get(0);
            List<String> fields = ((Val.ListVal) entry.get("fields")).elements().stream().map(t -> {
                List<Val> pair = ((Val.TupleVal) t).elements();
                return ((Val.Str) pair.get(0)).value() + "=" + ((Val.Str) pair.get(1)).value();
            }).toList();
            log(level(entry.get("level")), ((Val.Str) entry.get("message")).value(), fields);
            return new Val.U32(entries.incrementAndGet() & 0xFFFF_FFFFL);
        });
        f.put("get-config", args -> {
            String value = config.get(((Val.Str) args.get(0)).value());
            return value == null ? Val.OptionVal.NONE : new Val.OptionVal(new Val.Str(value));
        });
        return f;
    }

    private void log(System.Logger.Level level, String message, List<String> fields) {
        if (!fields.isEmpty()) {
            message = message + " " + String.join(" ", fields);
        }
        LOG.log(level, "[guest] {0}", message);
    }

    private static System.Logger.Level level(Val v) {
        return switch (((Val.EnumVal) v).name()) {
            case "debug" -> System.Logger.Level.DEBUG;
            case "warn" -> System.Logger.Level.WARNING;
            case "error" -> System.Logger.Level.ERROR;
            default -> System.Logger.Level.INFO;
        };
    }
}

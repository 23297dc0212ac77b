package dev.wassette.mcp;

import dev.wassette.host.Audit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server's metrics, in a Prometheus registry the server owns (served at {@code /metrics}).
 * Names follow the OpenTelemetry semantic conventions for MCP where they exist
 * ({@code mcp.server.operation.duration}) and carry a {@code wassette.} prefix otherwise. Labels are
 * bounded: the tool name, the component id and enumerations (denial category, error type), never an
 * argument value. Meters are created once per tool and cached, so a call only records.
 */
final class ServerMetrics {
    static final String OPERATION_DURATION = "mcp.server.operation.duration";
    static final String INSTANTIATION_DURATION = "wassette.component.instantiation.duration";
    static final String EXECUTION_DURATION = "wassette.component.execution.duration";
    static final String RESULT_SIZE = "wassette.tool.result.size";
    static final String POLICY_DENIALS = "wassette.policy.denials";

    static final String METHOD = "mcp.method.name";
    static final String TOOL = "gen_ai.tool.name";
    static final String ERROR_TYPE = "error.type";
    static final String COMPONENT = "wassette.component.id";
    static final String CATEGORY = "wassette.denial.category";

    /** The bucket boundaries the semantic conventions advise for {@code mcp.server.operation.duration}. */
    private static final Duration[] OPERATION_BUCKETS = seconds(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300);
    /** Instantiation and execution of a trivial tool take microseconds: finer buckets at the low end. */
    private static final Duration[] PHASE_BUCKETS = seconds(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300);
    private static final double[] SIZE_BUCKETS = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, ToolMeters> byTool = new ConcurrentHashMap<>();

    /** The meters of one tool ({@code componentId} null for a built-in tool). */
    ToolMeters tool(String toolName, String componentId) {
        ToolMeters meters = byTool.get(toolName); // the common case: no lambda, no lock
        if (meters == null || !java.util.Objects.equals(meters.componentId, componentId)) {
            meters = byTool.compute(toolName, (name, old) -> old != null && java.util.Objects.equals(old.componentId, componentId)
                    ? old : new ToolMeters(name, componentId));
        }
        return meters;
    }

    /** Everything recorded so far, in the Prometheus text format (version 0.0.4). */
    String scrape() {
        return registry.scrape();
    }

    /** The registry, for meters other parts of the server add. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    void close() {
        registry.close();
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }

    /** One tool's meters; failures and denials get theirs on first use (their labels are enumerations). */
    final class ToolMeters {
        private final String toolName;
        private final String componentId;
        private final Timer succeeded;
        private final Map<String, Timer> failedByType = new ConcurrentHashMap<>();
        private final Timer instantiation;
        private final Timer execution;
        private final DistributionSummary resultSize;
        private final Map<Audit.Category, Counter> denials;

        private ToolMeters(String toolName, String componentId) {
            this.toolName = toolName;
            this.componentId = componentId;
            this.succeeded = operation(null);
            if (componentId == null) {
                instantiation = null;
                execution = null;
                resultSize = null;
                denials = null;
            } else {
                instantiation = phase(INSTANTIATION_DURATION, "Time to instantiate the component for a call");
                execution = phase(EXECUTION_DURATION, "Time the component's function ran");
                resultSize = DistributionSummary.builder(RESULT_SIZE).description("Bytes of a tool's result text")
                        .baseUnit("bytes").serviceLevelObjectives(SIZE_BUCKETS)
                        .tags(COMPONENT, componentId, TOOL, toolName).register(registry);
                denials = new EnumMap<>(Audit.Category.class);
                for (Audit.Category c : Audit.Category.values()) {
                    // Registered up front: an EnumMap read is lock-free, and a counter at 0 tells a
                    // dashboard the category exists for this component.
                    denials.put(c, Counter.builder(POLICY_DENIALS).description("Denials and limit hits of a component's policy")
                            .tags(COMPONENT, componentId, CATEGORY, c.name().toLowerCase(Locale.ROOT)).register(registry));
                }
            }
        }

        private Timer operation(String errorType) {
            Timer.Builder b = Timer.builder(OPERATION_DURATION).description("Duration of an MCP request handled by the server")
                    .serviceLevelObjectives(OPERATION_BUCKETS).tags(METHOD, "tools/call", TOOL, toolName);
            if (errorType != null) {
                b.tag(ERROR_TYPE, errorType);
            }
            return b.register(registry);
        }

        private Timer phase(String name, String description) {
            return Timer.builder(name).description(description).serviceLevelObjectives(PHASE_BUCKETS)
                    .tags(COMPONENT, componentId, TOOL, toolName).register(registry);
        }

        /** A finished call: its duration, and the error type when it failed (null when it did not). */
        void operation(long nanos, String errorType) {
            Timer t = errorType == null ? succeeded : failedByType.computeIfAbsent(errorType, this::operation);
            t.record(nanos, TimeUnit.NANOSECONDS);
        }

        /** The phases of a component call; a phase not reached (0 ns) is not recorded. */
        void phases(long instantiateNanos, long executeNanos) {
            if (instantiateNanos > 0) {
                instantiation.record(instantiateNanos, TimeUnit.NANOSECONDS);
            }
            if (executeNanos > 0) {
                execution.record(executeNanos, TimeUnit.NANOSECONDS);
            }
        }

        void resultBytes(long bytes) {
            resultSize.record(bytes);
        }

        void denied(Audit.Category category) {
            denials.get(category).increment();
        }
    }
}

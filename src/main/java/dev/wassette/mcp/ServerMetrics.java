package dev.wassette.mcp;

import dev.wassette.host.Audit;

/**
 * Where a server records what it does: per tool call, its duration and error type, the component's
 * instantiation and execution time, the result's size and the policy's denials. This base records
 * nothing — a stdio server whose metrics nobody scrapes pays neither Micrometer's start-up nor its
 * per-call cost; {@link MicrometerMetrics} records them for {@code /metrics} and OTLP.
 *
 * <p>Names follow the OpenTelemetry semantic conventions for MCP where they exist
 * ({@code mcp.server.operation.duration}) and carry a {@code wassette.} prefix otherwise. Labels are
 * bounded: the tool name, the component id and enumerations (denial category, error type), never an
 * argument value.
 */
class ServerMetrics {
    static final String OPERATION_DURATION = "mcp.server.operation.duration";
    static final String INSTANTIATION_DURATION = "wassette.component.instantiation.duration";
    static final String EXECUTION_DURATION = "wassette.component.execution.duration";
    static final String RESULT_SIZE = "wassette.tool.result.size";
    static final String FUEL = "wassette.component.fuel.consumed";
    static final String POLICY_DENIALS = "wassette.policy.denials";
    static final String MEMORY_PEAK = "wassette.component.memory.peak";
    static final String SESSION_DURATION = "mcp.server.session.duration";
    static final String CODE_PREPARATION = "wassette.component.code.preparation.duration";
    static final String FETCH_DURATION = "wassette.component.fetch.duration";

    static final String METHOD = "mcp.method.name";
    static final String TOOL = "gen_ai.tool.name";
    static final String ERROR_TYPE = "error.type";
    static final String COMPONENT = "wassette.component.id";
    static final String CATEGORY = "wassette.denial.category";
    static final String TRANSPORT = "network.transport";
    static final String PRECOMPILED = "wassette.precompiled.cache";
    static final String SOURCE_KIND = "wassette.source.kind";

    static final String COMPONENTS_LOADED = "wassette.components.loaded";

    /** Metrics off: records nothing. */
    static final ServerMetrics OFF = new ServerMetrics();

    ServerMetrics() {}

    /** What one tool's calls record into; created once per tool, so that a call only records. */
    interface ToolMeters {
        /** A finished call: its duration, and the error type when it failed (null when it did not). */
        void operation(long nanos, String errorType);

        /** The phases of a component call; a phase not reached (0 ns) is not recorded. */
        void phases(long instantiateNanos, long executeNanos);

        /**
         * What a component call consumed: fuel, and the linear memory its instance came to hold;
         * each not recorded when negative (not metered, or the call never reached the component).
         */
        void usage(long fuelUnits, long memoryBytes);

        void resultBytes(long bytes);

        void denied(Audit.Category category);
    }

    private static final ToolMeters NONE = new ToolMeters() {
        @Override
        public void operation(long nanos, String errorType) {}

        @Override
        public void phases(long instantiateNanos, long executeNanos) {}

        @Override
        public void usage(long fuelUnits, long memoryBytes) {}

        @Override
        public void resultBytes(long bytes) {}

        @Override
        public void denied(Audit.Category category) {}
    };

    boolean enabled() {
        return false;
    }

    /** Whether the metrics can be read as Prometheus text (for {@code /metrics}). */
    boolean scrapes() {
        return false;
    }

    /** The meters of one tool ({@code componentId} null for a built-in tool). */
    ToolMeters tool(String toolName, String componentId) {
        return NONE;
    }

    /**
     * A session ended (the client closed it, or the server stopped).
     *
     * @param transport {@code pipe} (stdio, the daemon's sessions) or {@code tcp} (streamable HTTP)
     * @param nanos     how long it lasted
     */
    void sessionEnded(String transport, long nanos) {}

    /** What records the host's code preparations and fetches. */
    dev.wassette.host.HostEvents hostEvents() {
        return dev.wassette.host.HostEvents.NONE;
    }

    /** A value read when the metrics are scraped. */
    void gauge(String name, String description, java.util.function.Supplier<Number> value) {}

    void close() {}
}

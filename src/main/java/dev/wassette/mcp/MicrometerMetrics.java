package dev.wassette.mcp;

import dev.wassette.host.Audit;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server's metrics (see {@link ServerMetrics}) in Micrometer registries it owns: Prometheus,
 * served at {@code /metrics}, and OTLP, pushed to a collector every 10 s and at close; either or
 * both. With the JVM's and the process's own (memory, threads, GC, CPU, open files, uptime). Meters
 * are created once per tool and cached, so a call only records.
 */
final class MicrometerMetrics extends ServerMetrics {
    /** How often the OTLP registry pushes. */
    static final Duration OTLP_STEP = Duration.ofSeconds(10);

    /** The bucket boundaries the semantic conventions advise for {@code mcp.server.operation.duration}. */
    private static final Duration[] OPERATION_BUCKETS = seconds(0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300);
    /** Instantiation and execution of a trivial tool take microseconds: finer buckets at the low end. */
    private static final Duration[] PHASE_BUCKETS = seconds(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300);
    private static final double[] SIZE_BUCKETS = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304};
    /** Fuel (about one unit per Wasm instruction): from a trivial call's thousands to a CPU share's billions. */
    private static final double[] FUEL_BUCKETS = {1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11};
    /** Linear memory: from a small guest's one 64 KiB page to the 4 GiB a 32-bit memory can hold. */
    private static final double[] MEMORY_BUCKETS = {65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296d};
    /** Preparing code: mapping precompiled code takes about a millisecond, compiling a large component seconds. */
    private static final Duration[] PREPARATION_BUCKETS = seconds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 120);

    private final PrometheusMeterRegistry prometheus;
    private final OtlpMeterRegistry otlp;
    /** Where meters are registered: the one registry, or both through a composite. */
    private final MeterRegistry registry;
    private final Map<String, Meters> byTool = new ConcurrentHashMap<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Map<String, Timer> sessionsByTransport = new ConcurrentHashMap<>();
    private final HostMeters hostMeters;

    /**
     * @param prometheus whether to keep a Prometheus registry for {@link #scrape()}
     * @param otlpMetricsUrl where to push over OTLP/HTTP ({@code …/v1/metrics}); null: not pushed
     * @param version this server's version, as the OTLP resource's {@code service.version}
     */
    MicrometerMetrics(boolean prometheus, String otlpMetricsUrl, String version) {
        this.prometheus = prometheus ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
        if (otlpMetricsUrl != null) {
            Map<String, String> config = Map.of("otlp.url", otlpMetricsUrl, "otlp.step", OTLP_STEP.toSeconds() + "s",
                    "otlp.resourceAttributes", "service.name=" + WassetteMcpServer.NAME + ",service.version=" + version);
            this.otlp = new OtlpMeterRegistry(config::get, Clock.SYSTEM);
        } else {
            this.otlp = null;
        }
        if (this.prometheus != null && this.otlp != null) {
            registry = new CompositeMeterRegistry(Clock.SYSTEM, java.util.List.of(this.prometheus, this.otlp));
        } else {
            registry = this.prometheus != null ? this.prometheus : java.util.Objects.requireNonNull(this.otlp, "no registry");
        }
        // Micrometer's names for these two break Prometheus' naming rules (`promtool check metrics`):
        // process_cpu_time_ns_total (an abbreviated unit) and system_cpu_count (a gauge ending in _count).
        registry.config().meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time") || id.getName().equals("system.cpu.count")));
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gc.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        hostMeters = new HostMeters();
    }

    @Override
    boolean enabled() {
        return true;
    }

    @Override
    ToolMeters tool(String toolName, String componentId) {
        Meters meters = byTool.get(toolName); // the common case: no lambda, no lock
        if (meters == null || !java.util.Objects.equals(meters.componentId, componentId)) {
            meters = byTool.compute(toolName, (name, old) -> old != null && java.util.Objects.equals(old.componentId, componentId)
                    ? old : new Meters(name, componentId));
        }
        return meters;
    }

    @Override
    void gauge(String name, String description, java.util.function.Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    @Override
    void sessionEnded(String transport, long nanos) {
        sessionsByTransport.computeIfAbsent(transport, t -> Timer.builder(SESSION_DURATION)
                        .description("Duration of an MCP session, from its start until the client or the server ended it")
                        .serviceLevelObjectives(OPERATION_BUCKETS).tags(TRANSPORT, t).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    dev.wassette.host.HostEvents hostEvents() {
        return hostMeters;
    }

    @Override
    boolean scrapes() {
        return prometheus != null;
    }

    /** Everything recorded so far, in the Prometheus text format (version 0.0.4). */
    String scrape() {
        return prometheus.scrape();
    }

    /** Closes the registries; the OTLP one pushes what it has first. */
    @Override
    void close() {
        gc.close();
        registry.close();
        if (registry != prometheus && prometheus != null) {
            prometheus.close();
        }
        if (registry != otlp && otlp != null) {
            otlp.close();
        }
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }

    /** Code preparation, by whether the precompiled code was used; fetches, by source kind and error. */
    private final class HostMeters implements dev.wassette.host.HostEvents {
        private final Timer mapped = preparation("hit");
        private final Timer compiled = preparation("miss");
        private final Map<String, Timer> fetches = new ConcurrentHashMap<>();

        private Timer preparation(String cache) {
            return Timer.builder(CODE_PREPARATION)
                    .description("Time to make a component's code runnable: mapped from the precompiled cache (hit) or compiled (miss)")
                    .serviceLevelObjectives(PREPARATION_BUCKETS).tags(PRECOMPILED, cache).register(registry);
        }

        @Override
        public void codePrepared(boolean fromPrecompiled, long nanos) {
            (fromPrecompiled ? mapped : compiled).record(nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void fetched(String sourceKind, long nanos, String errorType) {
            String key = sourceKind + (errorType == null ? "" : "|" + errorType);
            fetches.computeIfAbsent(key, k -> {
                Timer.Builder b = Timer.builder(FETCH_DURATION).description("Time to fetch and verify a component (file, HTTP or OCI registry)")
                        .serviceLevelObjectives(PREPARATION_BUCKETS).tags(SOURCE_KIND, sourceKind);
                if (errorType != null) {
                    b.tag(ERROR_TYPE, errorType);
                }
                return b.register(registry);
            }).record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One tool's meters; failures and denials get theirs on first use (their labels are enumerations). */
    private final class Meters implements ToolMeters {
        private final String toolName;
        private final String componentId;
        private final Timer succeeded;
        private final Map<String, Timer> failedByType = new ConcurrentHashMap<>();
        private final Timer instantiation;
        private final Timer execution;
        private final DistributionSummary resultSize;
        private final DistributionSummary fuel;
        private final DistributionSummary memory;
        private final Map<Audit.Category, Counter> denials;

        private Meters(String toolName, String componentId) {
            this.toolName = toolName;
            this.componentId = componentId;
            this.succeeded = operation(null);
            if (componentId == null) {
                instantiation = null;
                execution = null;
                resultSize = null;
                fuel = null;
                memory = null;
                denials = null;
            } else {
                instantiation = phase(INSTANTIATION_DURATION, "Time to instantiate the component for a call");
                execution = phase(EXECUTION_DURATION, "Time the component's function ran");
                resultSize = DistributionSummary.builder(RESULT_SIZE).description("Bytes of a tool's result text")
                        .baseUnit("bytes").serviceLevelObjectives(SIZE_BUCKETS)
                        .tags(COMPONENT, componentId, TOOL, toolName).register(registry);
                fuel = DistributionSummary.builder(FUEL).description("Fuel a call used (instantiation and execution; about one unit per Wasm instruction)")
                        .baseUnit("units").serviceLevelObjectives(FUEL_BUCKETS)
                        .tags(COMPONENT, componentId, TOOL, toolName).register(registry);
                memory = DistributionSummary.builder(MEMORY_PEAK).description("Linear memory a call's instance came to hold (its peak)")
                        .baseUnit("bytes").serviceLevelObjectives(MEMORY_BUCKETS)
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
        @Override
        public void operation(long nanos, String errorType) {
            Timer t = errorType == null ? succeeded : failedByType.computeIfAbsent(errorType, this::operation);
            t.record(nanos, TimeUnit.NANOSECONDS);
        }

        /** The phases of a component call; a phase not reached (0 ns) is not recorded. */
        @Override
        public void phases(long instantiateNanos, long executeNanos) {
            if (instantiateNanos > 0) {
                instantiation.record(instantiateNanos, TimeUnit.NANOSECONDS);
            }
            if (executeNanos > 0) {
                execution.record(executeNanos, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void usage(long fuelUnits, long memoryBytes) {
            if (fuelUnits >= 0) {
                fuel.record(fuelUnits);
            }
            if (memoryBytes >= 0) {
                memory.record(memoryBytes);
            }
        }

        @Override
        public void resultBytes(long bytes) {
            resultSize.record(bytes);
        }

        @Override
        public void denied(Audit.Category category) {
            denials.get(category).increment();
        }
    }
}

package dev.wassette.mcp;

import dev.wassette.bench.BenchmarkDefaults;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a tool call pays to be recorded in the metrics: what {@code WassetteMcpServer} records per
 * component call (the tool's meters looked up, the operation timer, the instantiation and execution
 * timers, the fuel used, the result size) into the Prometheus registry, or into the metrics-off recorder. In this
 * package because the recorders are the server's own, not API. Set beside a whole in-process
 * {@code tools/call} ({@code MetricsOverhead}), it is the share of a call that metrics cost.
 */
public class MetricsRecordingBenchmark extends BenchmarkDefaults {
    @Param({"off", "prometheus"})
    public String metrics;

    private ServerMetrics recorder;
    private long tick;

    @Setup(Level.Trial)
    public void setup() {
        recorder = metrics.equals("off") ? ServerMetrics.OFF : new MicrometerMetrics(true, null, "bench");
    }

    @Benchmark
    public void recordCall() {
        long t = ++tick & 1023; // durations that move between buckets, as real ones do
        ServerMetrics.ToolMeters meters = recorder.tool("wassette_fixtures_types_0_1_0_add", "types");
        meters.operation(120_000 + t * 100, null);
        meters.phases(27_000 + t, 11_000 + t);
        meters.usage(5_000 + t, 1_114_112);
        meters.resultBytes(1 + t);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        recorder.close();
    }
}

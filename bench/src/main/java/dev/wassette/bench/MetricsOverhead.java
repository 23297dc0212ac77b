package dev.wassette.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.ComponentHost;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.mcp.StreamTransport;
import dev.wassette.mcp.WassetteMcpServer;
import dev.wassette.runtime.Engine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * What recording metrics costs a tool call, side by side in one JVM: two servers on one engine and
 * one component, one recording its calls (Micrometer, as {@code serve} and
 * {@code run --metrics-address} do) and one recording none, each with an MCP session over in-memory
 * pipes. After a warm-up of both, rounds of calls alternate between them; each round's mean wall
 * time and process CPU time per {@code tools/call} are kept, and printed as the ratio of the
 * medians and the mean of the per-round-pair ratios with its 95 % confidence interval. The
 * invocation log is off in both (it would write a line per call).
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.wassette.bench.MetricsOverhead [rounds] [callsPerRound] [control]</pre>
 *
 * {@code control} runs both servers without metrics: what the harness alone reads as a difference.
 */
public final class MetricsOverhead {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger INVOCATION_LOG = java.util.logging.Logger.getLogger("dev.wassette.invocation");

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        // "control": both servers without metrics, to show what the harness alone reads as a difference
        boolean control = args.length > 2 && args[2].equals("control");
        INVOCATION_LOG.setLevel(java.util.logging.Level.WARNING);
        Path file = Fixtures.wasiComponent();
        Path dir = Files.createTempDirectory("wassette-metrics-overhead");
        try (Engine engine = Engine.create();
             ComponentHost host = new ComponentHost(engine, ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                     .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(30))
                     .maxResultBytes(1 << 20).build())) {
            host.load("types", Files.readAllBytes(file)); // before the servers, so both serve its tools
            try (Session off = new Session(host, false); Session on = new Session(host, !control)) {
                if (control) {
                    System.out.println("control run: \"on\" records no metrics either");
                }
                compare(off, on, rounds, calls);
            }
        }
    }

    private static void compare(Session off, Session on, int rounds, int calls) throws IOException {
        for (int i = 0; i < 10; i++) { // warm-up: the JIT compiles both paths
            off.round(calls);
            on.round(calls);
        }
        double[][] offRounds = new double[rounds][];
        double[][] onRounds = new double[rounds][];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 1) { // alternate which goes first, too
                onRounds[r] = on.round(calls);
                offRounds[r] = off.round(calls);
            } else {
                offRounds[r] = off.round(calls);
                onRounds[r] = on.round(calls);
            }
        }
        System.out.printf("tools/call, %d rounds of %d calls, alternating (ratio = metrics on / off):%n", rounds, calls);
        report("wall time per call", offRounds, onRounds, 0);
        report("process CPU per call", offRounds, onRounds, 1);
    }

    private static void report(String what, double[][] offRounds, double[][] onRounds, int column) {
        int rounds = offRounds.length;
        double[] off = new double[rounds];
        double[] on = new double[rounds];
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            off[r] = offRounds[r][column];
            on[r] = onRounds[r][column];
            ratios[r] = on[r] / off[r];
        }
        double mean = Arrays.stream(ratios).average().orElse(Double.NaN);
        double sd = Math.sqrt(Arrays.stream(ratios).map(x -> (x - mean) * (x - mean)).sum() / (rounds - 1));
        double halfWidth = 1.96 * sd / Math.sqrt(rounds);
        System.out.printf("  %-21s off %.1f us, on %.1f us (medians); ratio of medians %.3f; per round pair mean %.3f,"
                        + " 95%% confidence interval %.3f-%.3f%n",
                what, median(off) / 1000, median(on) / 1000, median(on) / median(off), mean, mean - halfWidth, mean + halfWidth);
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** A server and one MCP session with it over pipes. */
    private static final class Session implements AutoCloseable {
        private final WassetteMcpServer server;
        private final OutputStream toServer;
        private final BufferedReader fromServer;
        private int nextId = 1;

        Session(ComponentHost host, boolean metrics) throws IOException {
            server = new WassetteMcpServer(host, true, new WassetteMcpServer.Telemetry(metrics, null, null));
            StreamTransport transport = new StreamTransport(server, HttpMcpServer.MAX_REQUEST_BYTES);
            server.streams(transport);
            Pipe in = Pipe.open();
            Pipe out = Pipe.open();
            transport.open("bench-" + metrics, Channels.newInputStream(in.source()), Channels.newOutputStream(out.sink()), null, null).start();
            toServer = Channels.newOutputStream(in.sink());
            fromServer = new BufferedReader(new InputStreamReader(Channels.newInputStream(out.source()), StandardCharsets.UTF_8));
            request("initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}");
            send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        }

        /** Mean wall-clock and process CPU nanoseconds per tools/call over {@code calls} calls. */
        double[] round(int calls) throws IOException {
            long cpu = PROCESS.getProcessCpuTime();
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                JsonNode answer = request("tools/call", "{\"name\":\"" + ADD + "\",\"arguments\":{\"a\":2,\"b\":3}}");
                if (answer.path("result").path("structuredContent").path("result").asInt() != 5) {
                    throw new IllegalStateException("add(2, 3) != 5: " + answer);
                }
            }
            return new double[] {(System.nanoTime() - start) / (double) calls, (PROCESS.getProcessCpuTime() - cpu) / (double) calls};
        }

        private JsonNode request(String method, String params) throws IOException {
            int id = nextId++;
            send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}");
            for (String line; (line = fromServer.readLine()) != null; ) {
                JsonNode message = JSON.readTree(line);
                if (message.path("id").asInt(-1) == id) {
                    return message;
                }
            }
            throw new IOException("the server closed the session before answering " + id);
        }

        private void send(String line) throws IOException {
            toServer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            toServer.flush();
        }

        @Override
        public void close() throws IOException {
            toServer.close();
            server.close();
        }
    }
}

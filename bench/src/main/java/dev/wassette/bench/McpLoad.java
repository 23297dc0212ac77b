package dev.wassette.bench;

import dev.wassette.host.ComponentHost;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.runtime.Engine;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Load run: the streamable HTTP server in this process, {@code clients} MCP client sessions (the Java
 * SDK over loopback HTTP) each calling a component tool in a loop for {@code seconds}. Every call is
 * a full tools/call: JSON-RPC, argument validation, a fresh store and instance, the guest, the
 * result as JSON. Prints throughput and latency percentiles.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.wassette.bench.McpLoad [clients] [seconds]</pre>
 */
public final class McpLoad {
    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path types = Fixtures.wasiComponent();
        Path dir = Files.createTempDirectory("wassette-load");
        ComponentHost.Settings settings = new ComponentHost.Settings(dir.resolve("components"), dir.resolve("secrets"), dir,
                Map.of(), Map.of(), Map.of(), Map.of(), Duration.ofSeconds(30), 16 << 20);
        try (Engine engine = Engine.create(); ComponentHost host = new ComponentHost(engine, settings)) {
            host.load("types", Files.readAllBytes(types));
            try (HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("localhost", "127.0.0.1"))) {
                String base = "http://127.0.0.1:" + server.address().getPort();
                System.err.println("warming up ...");
                run(base, clients, 5);
                System.err.println("measuring " + clients + " clients for " + seconds + " s ...");
                long[] latencies = run(base, clients, seconds);
                Arrays.sort(latencies);
                System.out.printf("clients=%d seconds=%d calls=%d throughput=%.0f calls/s p50=%.2f ms p90=%.2f ms p99=%.2f ms max=%.2f ms%n",
                        clients, seconds, latencies.length, latencies.length / (double) seconds,
                        pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), latencies[latencies.length - 1] / 1e6);
            }
        }
    }

    private static long[] run(String base, int clients, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Future<long[]>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                results.add(pool.submit(() -> {
                    long[] lat = new long[1 << 16];
                    int n = 0;
                    try (McpSyncClient mcp = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                            .requestTimeout(Duration.ofSeconds(30)).build()) {
                        mcp.initialize();
                        for (int i = 0; System.nanoTime() < end; i++) {
                            long t = System.nanoTime();
                            McpSchema.CallToolResult r = mcp.callTool(new McpSchema.CallToolRequest(
                                    "wassette_fixtures_types_0_1_0_add", Map.of("a", client, "b", i)));
                            long d = System.nanoTime() - t;
                            if (Boolean.TRUE.equals(r.isError()) || !r.structuredContent().equals(Map.of("result", client + i))) {
                                throw new IllegalStateException("wrong result " + r);
                            }
                            if (n == lat.length) {
                                lat = Arrays.copyOf(lat, n * 2);
                            }
                            lat[n++] = d;
                        }
                    }
                    return Arrays.copyOf(lat, n);
                }));
            }
        }
        return results.stream().map(f -> {
            try {
                return f.get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).flatMapToLong(Arrays::stream).toArray();
    }

    private static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }
}

package dev.wassette.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Load run of the embedding example {@code examples/.../HttpServiceExample}: the service runs in a
 * JVM of its own (as a service would), and {@code clients} threads here each POST
 * {@code /greet {"name": …}} in a loop for {@code seconds} over loopback HTTP/1.1 (JDK HttpClient,
 * one connection each), checking every answer. Each request is a call of {@code greet} of
 * {@code types.wasm} in a fresh instance under a policy granting nothing. Prints throughput and
 * latency percentiles. Client and service share the machine's cores.
 *
 * <pre>bench/run.sh -l >/dev/null   # builds the jar and compiles examples/ into bench/target/examples
 * java -cp bench/target/benchmarks.jar dev.wassette.bench.HttpServiceLoad CLIENTS SECONDS</pre>
 */
public final class HttpServiceLoad {
    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Path types = Fixtures.wasiComponent();
        Path io = types.resolveSibling("io.wasm");
        Path jar = Path.of(HttpServiceLoad.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path examples = Path.of(System.getProperty("wassette.examplesClasses", jar.resolveSibling("examples").toString()));
        if (!Files.isDirectory(examples.resolve("dev/wassette/examples"))) {
            throw new IllegalStateException(examples + " has no compiled examples (bench/run.sh compiles them)");
        }
        Path data = Files.createTempDirectory("wassette-http-load");
        Process service = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", examples + File.pathSeparator + jar,
                "dev.wassette.examples.HttpServiceExample", types.toString(), io.toString(), data.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line = new BufferedReader(new InputStreamReader(service.getInputStream(), StandardCharsets.UTF_8)).readLine();
            if (line == null || !line.startsWith("listening on ")) {
                throw new IllegalStateException("the service did not start: " + line);
            }
            URI greet = URI.create(line.substring("listening on ".length())).resolve("/greet");
            System.err.println("warming up ...");
            run(greet, clients, 10);
            System.err.println("measuring " + clients + " clients for " + seconds + " s ...");
            long[] latencies = run(greet, clients, seconds);
            Arrays.sort(latencies);
            System.out.printf("clients=%d seconds=%d requests=%d throughput=%.0f req/s p50=%.3f ms p90=%.3f ms p99=%.3f ms max=%.2f ms%n",
                    clients, seconds, latencies.length, latencies.length / (double) seconds,
                    pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), latencies[latencies.length - 1] / 1e6);
        } finally {
            service.getOutputStream().close();
            if (!service.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                service.destroyForcibly();
            }
            Files.deleteIfExists(data);
        }
    }

    private static long[] run(URI greet, int clients, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Future<long[]>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            for (int c = 0; c < clients; c++) {
                int client = c;
                results.add(pool.submit(() -> {
                    long[] lat = new long[1 << 16];
                    int n = 0;
                    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                        for (int i = 0; System.nanoTime() < end; i++) {
                            String name = "c" + client + "-" + i;
                            HttpRequest request = HttpRequest.newBuilder(greet).timeout(Duration.ofSeconds(30))
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build();
                            long t = System.nanoTime();
                            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                            long d = System.nanoTime() - t;
                            if (r.statusCode() != 200 || !r.body().equals("Hello, " + name + "!\n")) {
                                throw new IllegalStateException("wrong answer " + r.statusCode() + " " + r.body());
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
        List<long[]> all = new ArrayList<>();
        for (Future<long[]> f : results) {
            all.add(f.get());
        }
        return all.stream().flatMapToLong(Arrays::stream).toArray();
    }

    private static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }
}

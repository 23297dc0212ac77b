package dev.wassette.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A soak run (not a test: its figures go into bench/README.md): {@code ./wassette run} over stdio,
 * as an MCP client starts it (in its own process, native memory tracking on), answers a million tool
 * calls in a mix of successes, traps, timeouts, quota refusals and bad arguments, every answer
 * checked. Every 10 s the server's RSS, Java heap, native memory (NMT's committed total) and open
 * file descriptors are sampled; the samples go to {@code bench/target/soak/samples.csv} and a chart
 * to {@code bench/target/soak/soak.svg}.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.wassette.bench.Soak [CALLS] [SAMPLE_SECONDS]   (from the project root)
 * </pre>
 */
public final class Soak {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";
    private static final String CRASH = "wassette_fixtures_types_0_1_0_crash";

    /** One sample of the server process. */
    record Sample(double seconds, long calls, double rssMiB, double heapUsedMiB, double nativeCommittedMiB, int openFiles) {}

    public static void main(String[] args) throws Exception {
        long calls = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        int sampleSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path out = Files.createDirectories(Path.of("bench/target/soak"));
        Path store = Files.createTempDirectory("wassette-soak");
        Path fixtures = Path.of("target/fixtures");
        ProcessBuilder pb = new ProcessBuilder("./wassette", "run", "--component-dir", store.resolve("components").toString(),
                "--secrets-dir", store.resolve("secrets").toString(), "--timeout", "100ms")
                .redirectError(out.resolve("server-stderr.log").toFile());
        pb.environment().put("WASSETTE_DAEMON", "off"); // the server in this process, so its memory is its own
        pb.environment().put("WASSETTE_JAVA_OPTS", "-XX:NativeMemoryTracking=summary");
        pb.environment().put("WASSETTE_LOG", "WARNING"); // a million invocation lines would only measure the log
        Process server = pb.start();
        List<Sample> samples = new ArrayList<>();
        long wrong = 0;
        long[] outcomes = new long[6];
        try (OutputStream toServer = server.getOutputStream();
             BufferedReader fromServer = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
            Client client = new Client(toServer, fromServer);
            client.request("initialize", "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"soak\",\"version\":\"1\"}}");
            client.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            for (String fixture : List.of("types.wasm", "spin.wasm", "echo.wat")) {
                JsonNode loaded = client.call("load-component", "{\"path\":\"" + fixtures.resolve(fixture).toAbsolutePath().toUri() + "\"}");
                if (loaded.path("isError").asBoolean()) {
                    throw new IllegalStateException("cannot load " + fixture + ": " + loaded);
                }
            }
            // echo is held to one call a minute: the rest of its calls are quota refusals.
            client.call("grant-quota", "{\"component_id\":\"echo\",\"details\":{\"quota\":\"calls_per_minute\",\"value\":1}}");

            long start = System.nanoTime();
            long nextSample = start;
            for (long i = 0; i < calls; i++) {
                if (System.nanoTime() >= nextSample) {
                    samples.add(sample(server.pid(), (System.nanoTime() - start) / 1e9, i));
                    Sample s = samples.getLast();
                    System.out.printf(Locale.ROOT, "%6.0f s %,10d calls  RSS %6.1f MiB  heap %6.1f MiB  native %6.1f MiB  fds %d%n",
                            s.seconds(), s.calls(), s.rssMiB(), s.heapUsedMiB(), s.nativeCommittedMiB(), s.openFiles());
                    nextSample += TimeUnit.SECONDS.toNanos(sampleSeconds);
                }
                int kind = i % 1000 == 999 ? 5 : (int) (i % 100 < 4 ? i % 100 + 1 : 0);
                outcomes[kind]++;
                JsonNode answer = switch (kind) {
                    case 1 -> client.call(CRASH, "{}");
                    case 2 -> client.call("echo", "{\"s\":\"soak\"}");
                    case 3 -> client.call(ADD, "{\"a\":\"not a number\",\"b\":1}");
                    case 4 -> client.call("ok", "{}");
                    case 5 -> client.call("spin", "{}");
                    default -> client.call(ADD, "{\"a\":" + (i % 100_000) + ",\"b\":1}");
                };
                if (!expected(kind, i, answer)) {
                    if (wrong++ < 5) {
                        System.out.println("unexpected answer to call " + i + " (kind " + kind + "): " + answer);
                    }
                }
            }
            samples.add(sample(server.pid(), (System.nanoTime() - start) / 1e9, calls));
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
        write(out, samples);
        Sample first = samples.stream().filter(s -> s.seconds() >= 60).findFirst().orElse(samples.getFirst());
        Sample last = samples.getLast();
        System.out.printf(Locale.ROOT, "%,d calls in %.0f s (%.0f calls/s); unexpected answers: %d%n", calls, last.seconds(),
                calls / last.seconds(), wrong);
        System.out.printf(Locale.ROOT, "mix: %,d add, %,d traps, %,d quota refusals, %,d bad arguments, %,d ok, %,d timeouts%n",
                outcomes[0], outcomes[1], outcomes[2], outcomes[3], outcomes[4], outcomes[5]);
        System.out.printf(Locale.ROOT, "from %.0f s to the end: RSS %.1f -> %.1f MiB (max %.1f), heap used max %.1f MiB, native %.1f -> %.1f MiB, fds %d -> %d%n",
                first.seconds(), first.rssMiB(), last.rssMiB(), samples.stream().mapToDouble(Sample::rssMiB).max().orElse(0),
                samples.stream().mapToDouble(Sample::heapUsedMiB).max().orElse(0), first.nativeCommittedMiB(), last.nativeCommittedMiB(),
                first.openFiles(), last.openFiles());
        if (wrong > 0) {
            System.exit(1);
        }
    }

    private static boolean expected(int kind, long i, JsonNode answer) {
        JsonNode result = answer.path("result");
        String text = result.path("content").path(0).path("text").asText();
        return switch (kind) {
            case 0 -> result.path("structuredContent").path("result").asLong(-1) == i % 100_000 + 1;
            case 1 -> result.path("isError").asBoolean() && text.contains("unreachable");
            case 2 -> result.path("isError").asBoolean() ? text.contains("quota calls_per_minute") : text.equals("soak");
            case 3 -> result.path("isError").asBoolean() && text.startsWith("invalid arguments: args.a");
            case 4 -> result.path("structuredContent").path("result").asInt() == 42;
            default -> result.path("isError").asBoolean() && text.contains("stopped at its deadline");
        };
    }

    /** The MCP session with the server: one request at a time. */
    private static final class Client {
        private final OutputStream out;
        private final BufferedReader in;
        private long nextId = 1;

        Client(OutputStream out, BufferedReader in) {
            this.out = out;
            this.in = in;
        }

        void send(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        JsonNode request(String method, String params) throws IOException {
            long id = nextId++;
            send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}");
            while (true) {
                String line = in.readLine();
                if (line == null) {
                    throw new IOException("the server closed its output");
                }
                JsonNode message = JSON.readTree(line);
                if (message.path("id").asLong(-1) == id) {
                    return message;
                }
            }
        }

        JsonNode call(String tool, String arguments) throws IOException {
            return request("tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}");
        }
    }

    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern NATIVE = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB");

    private static Sample sample(long pid, double seconds, long calls) throws IOException, InterruptedException {
        Matcher rss = RSS.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
        double rssMiB = rss.find() ? Long.parseLong(rss.group(1)) / 1024.0 : Double.NaN;
        int fds;
        try (var entries = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) entries.count();
        }
        Matcher heap = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
        long heapKiB = 0;
        while (heap.find()) { // the first "used" is the whole heap's
            heapKiB = Long.parseLong(heap.group(1));
            break;
        }
        Matcher nat = NATIVE.matcher(jcmd(pid, "VM.native_memory", "summary"));
        double nativeMiB = nat.find() ? Long.parseLong(nat.group(1)) / 1024.0 : Double.NaN;
        return new Sample(seconds, calls, rssMiB, heapKiB / 1024.0, nativeMiB, fds);
    }

    private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return output;
    }

    private static void write(Path out, List<Sample> samples) throws IOException {
        StringBuilder csv = new StringBuilder("seconds,calls,rss_mib,heap_used_mib,native_committed_mib,open_files\n");
        for (Sample s : samples) {
            csv.append(String.format(Locale.ROOT, "%.1f,%d,%.1f,%.1f,%.1f,%d%n", s.seconds(), s.calls(), s.rssMiB(), s.heapUsedMiB(),
                    s.nativeCommittedMiB(), s.openFiles()));
        }
        Files.writeString(out.resolve("samples.csv"), csv);
        Files.writeString(out.resolve("soak.svg"), SvgChart.render("Soak: " + String.format(Locale.ROOT, "%,d", samples.getLast().calls())
                        + " tool calls over stdio, sampled every 10 s", "seconds",
                samples.stream().mapToDouble(Sample::seconds).toArray(),
                List.of(new SvgChart.Series("RSS (MiB)", samples.stream().mapToDouble(Sample::rssMiB).toArray()),
                        new SvgChart.Series("native committed, NMT (MiB)", samples.stream().mapToDouble(Sample::nativeCommittedMiB).toArray()),
                        new SvgChart.Series("Java heap used (MiB)", samples.stream().mapToDouble(Sample::heapUsedMiB).toArray()),
                        new SvgChart.Series("open file descriptors", samples.stream().mapToDouble(Sample::openFiles).toArray()))));
    }
}

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Cold start of `wassette run` with a store of N components, measured as an MCP client sees it.
 * Run by bench/startup.sh (source launch, with the server jar on the class path for Jackson).
 *
 *   prepare KIND N FIXTURES_DIR VARIANTS_DIR   writes N copies of a fixture whose exported names differ
 *   measure RUNS STORE JAR[,JAR...] KIND N     starts each server jar RUNS times, alternating, and prints timings
 *
 * KIND js: fetch.wasm (12 MB, componentize-js), exports http-get and http-post renamed http-gea, http-geb, ...
 *   and http-posa, http-posb, ... (tool names are unique across a store)
 * KIND small: types.wasm (30 KB, C), interface version 0.1.0..0.1.9 and greet renamed grea, ...
 * The renames replace every occurrence of a name with one of the same length, so the binaries stay
 * valid; each variant is a distinct component with its own tool names.
 */
public class ColdStart {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "prepare" -> prepare(args[1], Integer.parseInt(args[2]), Path.of(args[3]), Path.of(args[4]));
            case "measure" -> measure(Integer.parseInt(args[1]), Path.of(args[2]), List.of(args[3].split(",")), args[4], Integer.parseInt(args[5]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void prepare(String kind, int n, Path fixtures, Path out) throws Exception {
        Files.createDirectories(out);
        byte[] src = Files.readAllBytes(fixtures.resolve(kind.equals("js") ? "fetch.wasm" : "types.wasm"));
        for (int i = 0; i < n; i++) {
            char c = (char) ('a' + i);
            byte[] b = kind.equals("js")
                    ? replace(replace(src, "http-get", "http-ge" + c), "http-post", "http-pos" + c)
                    : replace(replace(src, "wassette:fixtures/types@0.1.0", "wassette:fixtures/types@0.1." + i), "greet", "gree" + c);
            Files.write(out.resolve(kind + "-" + c + ".wasm"), b);
        }
    }

    private static byte[] replace(byte[] in, String from, String to) {
        byte[] f = from.getBytes(StandardCharsets.US_ASCII);
        byte[] t = to.getBytes(StandardCharsets.US_ASCII);
        if (f.length != t.length) {
            throw new IllegalArgumentException("same length only");
        }
        byte[] out = in.clone();
        for (int i = 0; i + f.length <= out.length; i++) {
            if (Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(t, 0, out, i, t.length);
            }
        }
        return out;
    }

    /** Tool name and arguments of the one call made on each component. */
    private static List<Map.Entry<String, Map<String, Object>>> calls(String kind, int n) {
        List<Map.Entry<String, Map<String, Object>>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(kind.equals("js")
                    ? Map.entry("http-ge" + (char) ('a' + i), Map.of("url", "https://example.org/")) // denied by the empty policy: an answer all the same
                    : Map.entry("wassette_fixtures_types_0_1_" + i + "_add", Map.of("a", 40, "b", 2)));
        }
        return out;
    }

    private static void measure(int runs, Path store, List<String> jars, String kind, int n) throws Exception {
        var calls = calls(kind, n);
        Set<String> expected = new HashSet<>();
        calls.forEach(c -> expected.add(c.getKey()));
        Map<String, List<long[]>> results = new java.util.LinkedHashMap<>();
        // Alternating the servers run by run spreads a busy machine's noise over all of them.
        for (int r = 0; r < runs; r++) {
            for (String jar : jars) {
                long[] t = once(store, Path.of(jar), expected, calls);
                results.computeIfAbsent(jar, k -> new ArrayList<>()).add(t);
                System.out.printf("%s run %d: first tools/list %d ms with %d/%d component tools; all listed %d ms; each answered once %d ms%n",
                        jar, r + 1, t[0], t[1], n, t[2], t[3]);
            }
        }
        results.forEach((jar, rs) -> System.out.printf(
                "%s median of %d: first tools/list %d ms (component tools in it: %d/%d); all listed %d ms; each answered once %d ms%n",
                jar, runs, median(rs, 0), median(rs, 1), n, median(rs, 2), median(rs, 3)));
    }

    private static long median(List<long[]> rs, int i) {
        long[] v = rs.stream().mapToLong(r -> r[i]).sorted().toArray();
        return v[v.length / 2];
    }

    /** {first list ms, component tools in it, all listed ms, all answered ms}, from just before the process starts. */
    private static long[] once(Path store, Path jar, Set<String> expected, List<Map.Entry<String, Map<String, Object>>> calls) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long start = System.nanoTime();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "run", "--component-dir", store.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BlockingQueue<JsonNode> in = new LinkedBlockingQueue<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = reader.readLine()) != null; ) {
                    in.add(JSON.readTree(line));
                }
            } catch (Exception ignored) {
                // the process ended
            }
        });
        OutputStream out = p.getOutputStream();
        int[] nextId = {1};
        send(out, "initialize", Map.of("protocolVersion", "2025-06-18", "capabilities", Map.of(), "clientInfo", Map.of("name", "cold-start", "version", "1")), nextId[0]++);
        send(out, "notifications/initialized", null, null);
        int listId = nextId[0]++;
        send(out, "tools/list", null, listId); // at once, as a client that lists once would
        Set<String> listed = names(response(in, listId));
        long first = ms(start);
        long inFirst = listed.stream().filter(expected::contains).count();
        while (!listed.containsAll(expected)) {
            await(in, m -> "notifications/tools/list_changed".equals(m.path("method").asText()));
            int id = nextId[0]++;
            send(out, "tools/list", null, id);
            listed = names(response(in, id));
        }
        long allListed = ms(start);
        for (var c : calls) {
            int id = nextId[0]++;
            send(out, "tools/call", Map.of("name", c.getKey(), "arguments", c.getValue()), id);
            JsonNode result = response(in, id);
            if (result.path("isError").asBoolean() || !result.has("structuredContent")) {
                throw new IllegalStateException(c.getKey() + " failed: " + result);
            }
        }
        long answered = ms(start);
        out.close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return new long[] {first, inFirst, allListed, answered};
    }

    private static long ms(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static Set<String> names(JsonNode listResult) {
        Set<String> s = new HashSet<>();
        listResult.path("tools").forEach(t -> s.add(t.path("name").asText()));
        return s;
    }

    private static void send(OutputStream out, String method, Object params, Integer id) throws Exception {
        ObjectNode m = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method);
        if (id != null) {
            m.put("id", id);
        }
        if (params != null) {
            m.set("params", JSON.valueToTree(params));
        }
        out.write((m + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static JsonNode response(BlockingQueue<JsonNode> in, int id) throws Exception {
        JsonNode m = await(in, x -> x.path("id").asInt(-1) == id);
        if (m.has("error")) {
            throw new IllegalStateException("error: " + m);
        }
        return m.path("result");
    }

    private static JsonNode await(BlockingQueue<JsonNode> in, java.util.function.Predicate<JsonNode> wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            JsonNode m = in.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (m == null) {
                throw new IllegalStateException("no answer from the server within 120 s");
            }
            if (wanted.test(m)) {
                return m;
            }
        }
    }
}

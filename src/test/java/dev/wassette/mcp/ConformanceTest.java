package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MCP conformance suite ({@code @modelcontextprotocol/conformance server}, active scenarios) against the
 * streamable HTTP server with the types and io fixtures loaded. Scenarios that need features or fixture
 * tools a WebAssembly component cannot provide are listed, each with its reason, in
 * src/test/mcp-clients/conformance-baseline.yml. Fails on any failure outside the baseline and on any
 * baseline entry that passes (stale).
 */
class ConformanceTest {
    private static final Pattern SUMMARY = Pattern.compile("^[✓✗] (\\S+): (\\d+) passed, (\\d+) failed\\s*$");
    private static final Pattern BASELINE_ENTRY = Pattern.compile("^\\s+-\\s+(\\S+)\\s*(?:#\\s*(.*))?$");
    private static final Pattern RESULT_DIR = Pattern.compile("^server-(.+)-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$");

    @TempDir
    Path tmp;

    record Scenario(String name, int passedChecks, int failedChecks) {
        boolean passed() {
            return failedChecks == 0;
        }
    }

    @Test
    void conformanceSuiteMatchesBaseline() throws Exception {
        Path clients = McpClientTools.setup();
        Path cli = clients.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js");
        assertTrue(Files.isRegularFile(cli), "conformance CLI missing: " + cli);
        Path baselineFile = McpClientTools.clientsDir().resolve("conformance-baseline.yml");
        Map<String, String> baseline = readBaseline(baselineFile);

        ComponentHost.Settings settings = ComponentHost.Settings.builder().componentDir(tmp.resolve("components")).secretsDir(tmp.resolve("secrets")).baseDir(tmp)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(30)).maxResultBytes(16L << 20).build();
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), settings)) {
            // Stored before start, so the server loads them at startup and tools-list sees component tools too.
            host.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
            host.load("io", Files.readAllBytes(Fixtures.path("io.wasm")));
            try (HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("localhost", "127.0.0.1", "[::1]"))) {
                String base = "http://127.0.0.1:" + server.address().getPort();
                awaitReady(base);
                Path results = tmp.resolve("results");
                McpClientTools.Result r = McpClientTools.run(List.of("node", cli.toString(), "server",
                                "--url", base + "/mcp",
                                "--expected-failures", baselineFile.toString(),
                                "--output-dir", results.toString()),
                        Map.of("NO_COLOR", "1", "FORCE_COLOR", "0"), tmp, 600);
                evaluate(r, results, baseline);
            }
        }
    }

    private void evaluate(McpClientTools.Result r, Path results, Map<String, String> baseline) throws IOException {
        Map<String, Scenario> scenarios = new LinkedHashMap<>();
        boolean inSummary = false;
        for (String line : r.output().lines().toList()) {
            inSummary |= line.contains("=== SUMMARY ===");
            Matcher m = SUMMARY.matcher(line);
            if (inSummary && m.matches()) {
                scenarios.put(m.group(1), new Scenario(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))));
            }
        }
        if (scenarios.isEmpty()) {
            fail("no scenario summary in the conformance output (exit " + r.code() + "):\n" + r.output());
        }
        Map<String, List<String>> failures = failureMessages(results);
        JsonNode listed = toolsListDetails(results);

        List<Scenario> passed = scenarios.values().stream().filter(Scenario::passed).toList();
        List<Scenario> failed = scenarios.values().stream().filter(s -> !s.passed()).toList();
        List<String> unexpected = failed.stream().map(Scenario::name).filter(n -> !baseline.containsKey(n)).toList();
        List<String> stale = passed.stream().map(Scenario::name).filter(baseline::containsKey).toList();
        List<String> notRun = baseline.keySet().stream().filter(n -> !scenarios.containsKey(n)).toList();
        int checksPassed = scenarios.values().stream().mapToInt(Scenario::passedChecks).sum();
        int checksFailed = scenarios.values().stream().mapToInt(Scenario::failedChecks).sum();

        StringBuilder report = new StringBuilder();
        report.append("=== MCP conformance (").append(r.millis()).append(" ms, exit ").append(r.code()).append(") ===\n");
        report.append(String.format("scenarios: %d/%d passed; checks: %d/%d passed; expected failures (baseline): %d%n",
                passed.size(), scenarios.size(), checksPassed, checksPassed + checksFailed, baseline.size()));
        report.append("tools-list saw ").append(listed.path("toolCount").asText("?")).append(" tools (built-ins + types + io)\n");
        for (Scenario s : scenarios.values()) {
            String reason = baseline.get(s.name());
            report.append(String.format("  %-6s %-32s %s%n", s.passed() ? "PASS" : baseline.containsKey(s.name()) ? "XFAIL" : "FAIL",
                    s.name(), s.passed() ? "" : (reason != null ? reason : "UNEXPECTED: " + failures.getOrDefault(s.name(), List.of()))));
        }
        if (!unexpected.isEmpty()) {
            report.append("unexpected failures:\n");
            unexpected.forEach(n -> report.append("  ").append(n).append(": ").append(failures.getOrDefault(n, List.of())).append('\n'));
        }
        System.out.print(report);

        String context = report + "\n--- conformance output ---\n" + r.output();
        if (!unexpected.isEmpty() || !stale.isEmpty() || !notRun.isEmpty()) {
            fail("conformance does not match src/test/mcp-clients/conformance-baseline.yml:"
                    + (unexpected.isEmpty() ? "" : "\n  failures not in the baseline: " + unexpected)
                    + (stale.isEmpty() ? "" : "\n  baseline entries that now pass (remove them): " + stale)
                    + (notRun.isEmpty() ? "" : "\n  baseline entries the suite did not run: " + notRun)
                    + "\n" + context);
        }
        assertEquals(0, r.code(), () -> "the conformance CLI's own baseline check failed\n" + context);
        assertTrue(passed.size() >= 6, () -> "fewer scenarios passed than expected\n" + context);
        List<String> tools = new ArrayList<>();
        listed.path("tools").forEach(t -> tools.add(t.asText()));
        assertTrue(tools.contains("wassette_fixtures_types_0_1_0_echo-record") && tools.contains("wassette_fixtures_files_0_1_0_read-file")
                && tools.contains("load-component"), () -> "tools-list did not validate the component tools: " + tools + "\n" + context);
    }

    /** Scenario → messages of its failed checks, from {@code results/server-<scenario>-<timestamp>/checks.json}. */
    private static Map<String, List<String>> failureMessages(Path results) throws IOException {
        Map<String, List<String>> out = new TreeMap<>();
        if (!Files.isDirectory(results)) {
            return out;
        }
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> dirs = Files.list(results)) {
            for (Path dir : dirs.toList()) {
                Matcher m = RESULT_DIR.matcher(dir.getFileName().toString());
                Path checks = dir.resolve("checks.json");
                if (!m.matches() || !Files.isRegularFile(checks)) {
                    continue;
                }
                List<String> messages = new ArrayList<>();
                for (JsonNode check : json.readTree(checks.toFile())) {
                    if ("FAILURE".equals(check.path("status").asText())) {
                        messages.add(check.path("id").asText() + ": " + check.path("errorMessage").asText(check.path("description").asText()));
                    }
                }
                out.put(m.group(1), messages);
            }
        }
        return out;
    }

    /** The details of the tools-list check (toolCount, tools): shows the suite validated the component tools too. */
    private static JsonNode toolsListDetails(Path results) throws IOException {
        try (Stream<Path> dirs = Files.list(results)) {
            for (Path dir : dirs.toList()) {
                Path checks = dir.resolve("checks.json");
                if (dir.getFileName().toString().startsWith("server-tools-list-") && Files.isRegularFile(checks)) {
                    for (JsonNode check : new ObjectMapper().readTree(checks.toFile())) {
                        if ("tools-list".equals(check.path("id").asText())) {
                            return check.path("details");
                        }
                    }
                }
            }
        }
        return new ObjectMapper().createObjectNode();
    }

    /** Scenario → reason, from the {@code server:} list of the baseline (reason = the entry's trailing comment). */
    static Map<String, String> readBaseline(Path file) throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
        boolean server = false;
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("#")) {
                server = line.startsWith("server:");
                continue;
            }
            Matcher m = BASELINE_ENTRY.matcher(line);
            if (server && m.matches()) {
                String reason = m.group(2);
                assertTrue(reason != null && !reason.isBlank(), "baseline entry " + m.group(1) + " has no reason comment");
                entries.put(m.group(1), reason.strip());
            }
        }
        assertTrue(!entries.isEmpty(), "no server entries in " + file);
        return entries;
    }

    private static void awaitReady(String base) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        int code;
        do {
            code = http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (code != 200) {
                Thread.sleep(100);
            }
        } while (code != 200 && System.nanoTime() < deadline);
        assertEquals(200, code, "server not ready within 60 s");
    }
}

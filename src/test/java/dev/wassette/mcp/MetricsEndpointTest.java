package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} after real calls: the exact series and counts, and the Host guard in front of it. */
class MetricsEndpointTest {
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";
    private static final String DIVIDE = "wassette_fixtures_types_0_1_0_divide";

    @TempDir
    Path dir;

    @Test
    void scrapeAfterCallsHasExactlyTheirSeriesAndCounts() throws Exception {
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
             HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"))) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            String divideText;
            try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                    .requestTimeout(Duration.ofSeconds(60)).build()) {
                client.initialize();
                assertFalse(client.callTool(new McpSchema.CallToolRequest("load-component",
                        Map.of("path", Fixtures.path("types.wasm").toUri().toString()))).isError());
                assertEquals(Map.of("result", 3), client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 1, "b", 2))).structuredContent());
                assertEquals(Map.of("result", 9), client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 4, "b", 5))).structuredContent());
                McpSchema.CallToolResult divide = client.callTool(new McpSchema.CallToolRequest(DIVIDE, Map.of("a", 1, "b", 0)));
                assertFalse(divide.isError(), "a WIT result err is an answer");
                divideText = ((McpSchema.TextContent) divide.content().getFirst()).text();
                assertTrue(client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", "argument-value-7f3a", "b", 2))).isError());
                assertTrue(client.callTool(new McpSchema.CallToolRequest("get-policy", Map.of("component_id", "nothing-here"))).isError());
            }

            // The client's DELETE of its session may still be on its way: scrape until the session has ended (bounded).
            HttpResponse<String> scraped = scrapeUntil(base, body -> body.contains("mcp_server_session_duration_seconds_count"));
            assertEquals(200, scraped.statusCode());
            assertTrue(scraped.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"), scraped.headers().toString());
            Map<PrometheusText.Series, Double> samples = PrometheusText.parse(scraped.body());

            // mcp.server.operation.duration: one series per tool and error type; a WIT err is no error.
            // (Built-in tools have their series from the start, at 0: only those called are counted.)
            assertEquals(Map.of(
                            operation("load-component", null), 1.0,
                            operation("get-policy", "refused"), 1.0,
                            operation(ADD, null), 2.0,
                            operation(ADD, "invalid-arguments"), 1.0,
                            operation(DIVIDE, null), 1.0),
                    nonZero(seriesOf(samples, "mcp_server_operation_duration_seconds_count")), scraped.body());
            // Histogram buckets (the semantic conventions' boundaries) end in +Inf, equal to the count.
            assertEquals(2.0, samples.get(new PrometheusText.Series("mcp_server_operation_duration_seconds_bucket",
                    Map.of("mcp_method_name", "tools/call", "gen_ai_tool_name", ADD, "le", "+Inf"))));
            assertEquals(15, seriesOf(samples, "mcp_server_operation_duration_seconds_bucket").keySet().stream()
                    .filter(s -> s.labels().get("gen_ai_tool_name").equals(ADD) && !s.labels().containsKey("error_type")).count(),
                    "14 boundaries and +Inf");

            // Only calls that reached the component instantiate and execute it (bad arguments do not).
            Map<PrometheusText.Series, Double> phase = Map.of(component("x", ADD), 2.0, component("x", DIVIDE), 1.0);
            assertEquals(renamed(phase, "wassette_component_instantiation_duration_seconds_count"),
                    seriesOf(samples, "wassette_component_instantiation_duration_seconds_count"));
            assertEquals(renamed(phase, "wassette_component_execution_duration_seconds_count"),
                    seriesOf(samples, "wassette_component_execution_duration_seconds_count"));
            assertTrue(samples.get(component("wassette_component_execution_duration_seconds_sum", ADD)) > 0);

            // Fuel: recorded for each call that ran, and more than nothing.
            assertEquals(renamed(phase, "wassette_component_fuel_consumed_units_count"),
                    seriesOf(samples, "wassette_component_fuel_consumed_units_count"));
            assertTrue(samples.get(component("wassette_component_fuel_consumed_units_sum", ADD)) > 0, scraped.body());

            // Peak linear memory of each call's instance: recorded for each call that ran, in whole 64 KiB pages.
            assertEquals(renamed(phase, "wassette_component_memory_peak_bytes_count"),
                    seriesOf(samples, "wassette_component_memory_peak_bytes_count"));
            double memory = samples.get(component("wassette_component_memory_peak_bytes_sum", ADD));
            assertTrue(memory >= 2 * 65536 && memory % 65536 == 0, "two calls' memory: " + memory);

            // The component was fetched from a file once, and its code compiled (nothing precompiled yet).
            assertEquals(Map.of(new PrometheusText.Series("wassette_component_fetch_duration_seconds_count", Map.of("wassette_source_kind", "file")), 1.0),
                    seriesOf(samples, "wassette_component_fetch_duration_seconds_count"));
            assertEquals(Map.of(preparation("miss"), 1.0, preparation("hit"), 0.0),
                    seriesOf(samples, "wassette_component_code_preparation_duration_seconds_count"));

            // The client's session ended (its transport deletes it on close): one session of some duration.
            assertEquals(Map.of(session(), 1.0), seriesOf(samples, "mcp_server_session_duration_seconds_count"), scraped.body());

            // Result bytes: the UTF-8 text each successful call returned ("3", "9", divide's JSON).
            assertEquals(Map.of(component("wassette_tool_result_size_bytes_sum", ADD), 2.0,
                            component("wassette_tool_result_size_bytes_sum", DIVIDE), (double) divideText.getBytes(StandardCharsets.UTF_8).length),
                    seriesOf(samples, "wassette_tool_result_size_bytes_sum"));

            // Denials: a series per category for each component called, none counted yet.
            Map<PrometheusText.Series, Double> denials = seriesOf(samples, "wassette_policy_denials_total");
            assertEquals(dev.wassette.host.Audit.Category.values().length, denials.size(), denials.toString());
            denials.forEach((series, count) -> {
                assertEquals("types", series.labels().get("wassette_component_id"), series.toString());
                assertEquals(0.0, count, series.toString());
            });

            // Gauges read at scrape time, and the JVM's and process's own meters.
            assertEquals(1.0, samples.get(new PrometheusText.Series("wassette_components_loaded", Map.of())), scraped.body());
            assertTrue(samples.keySet().stream().anyMatch(k -> k.name().equals("jvm_memory_used_bytes")), "JVM memory meters");
            assertTrue(samples.get(new PrometheusText.Series("process_files_open_files", Map.of())) > 0, "open files");

            // /info: versions and the components served, with their tools.
            HttpResponse<String> info = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/info")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, info.statusCode());
            var infoJson = new com.fasterxml.jackson.databind.ObjectMapper().readTree(info.body());
            assertEquals("wassette-java", infoJson.path("name").asText());
            assertEquals(dev.wassette.runtime.NativeLibrary.WASMTIME_VERSION, infoJson.path("wasmtime").asText());
            assertTrue(infoJson.path("uptimeSeconds").asDouble() > 0, info.body());
            assertEquals(1, infoJson.path("components").size(), info.body());
            assertEquals("types", infoJson.path("components").get(0).path("id").asText());
            List<String> infoTools = new java.util.ArrayList<>();
            infoJson.path("components").get(0).path("tools").forEach(t -> infoTools.add(t.asText()));
            assertTrue(infoTools.contains(ADD) && infoTools.contains(DIVIDE), info.body());

            // Prometheus' own parser and linter accept the whole text.
            Path scrapeFile = dir.resolve("scrape.txt");
            java.nio.file.Files.writeString(scrapeFile, scraped.body());
            var promtool = dev.wassette.RegistryTools.run(List.of("bash", "-c", "\"$0\" check metrics < \"$1\"",
                    dev.wassette.RegistryTools.get().promtool().toString(), scrapeFile.toString()), dir, Map.of(), Duration.ofSeconds(60));
            assertEquals(0, promtool.code(), "promtool check metrics:\n" + promtool.output());

            // Argument values never become labels.
            assertFalse(scraped.body().contains("argument-value-7f3a"), "an argument value leaked into the metrics");

            // The same Host guard as /mcp (java.net.http refuses to set Host: a raw request).
            try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
                s.getOutputStream().write(("GET /metrics HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(head.startsWith("HTTP/1.1 403"), head);
            }

            // A quota granted through the built-in tool: the call beyond it is refused, and counted.
            try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                    .requestTimeout(Duration.ofSeconds(60)).build()) {
                client.initialize();
                assertFalse(client.callTool(new McpSchema.CallToolRequest("grant-quota", Map.of("component_id", "types",
                        "details", Map.of("quota", "calls_per_minute", "value", 1)))).isError());
                assertFalse(client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 1, "b", 1))).isError());
                McpSchema.CallToolResult refused = client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 1, "b", 1)));
                assertTrue(refused.isError());
                assertTrue(((McpSchema.TextContent) refused.content().getFirst()).text().contains("quota calls_per_minute (1) reached"), refused::toString);
            }
            Map<PrometheusText.Series, Double> after = PrometheusText.parse(scrapeUntil(base,
                    body -> Double.valueOf(2.0).equals(PrometheusText.parse(body).get(session()))).body());
            assertEquals(1.0, after.get(new PrometheusText.Series("wassette_policy_denials_total",
                    Map.of("wassette_component_id", "types", "wassette_denial_category", "quota"))));
            assertEquals(1.0, after.get(operation(ADD, "quota")));
            assertEquals(2.0, after.get(session()), "the second client's session ended too");
        }
    }

    /** Scrapes {@code /metrics} until {@code done} holds for the text, at most 10 s; the last scrape either way. */
    private static HttpResponse<String> scrapeUntil(String base, java.util.function.Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (done.test(scraped.body()) || System.nanoTime() > deadline) {
                return scraped;
            }
            Thread.sleep(20);
        }
    }

    private static PrometheusText.Series preparation(String cache) {
        return new PrometheusText.Series("wassette_component_code_preparation_duration_seconds_count", Map.of("wassette_precompiled_cache", cache));
    }

    private static PrometheusText.Series session() {
        return new PrometheusText.Series("mcp_server_session_duration_seconds_count", Map.of("network_transport", "tcp"));
    }

    private static PrometheusText.Series operation(String tool, String errorType) {
        Map<String, String> labels = new java.util.HashMap<>(Map.of("mcp_method_name", "tools/call", "gen_ai_tool_name", tool));
        if (errorType != null) {
            labels.put("error_type", errorType);
        }
        return new PrometheusText.Series("mcp_server_operation_duration_seconds_count", labels);
    }

    private static PrometheusText.Series component(String name, String tool) {
        return new PrometheusText.Series(name, Map.of("wassette_component_id", "types", "gen_ai_tool_name", tool));
    }

    private static Map<PrometheusText.Series, Double> renamed(Map<PrometheusText.Series, Double> series, String name) {
        Map<PrometheusText.Series, Double> out = new java.util.HashMap<>();
        series.forEach((s, v) -> out.put(new PrometheusText.Series(name, s.labels()), v));
        return out;
    }

    private static Map<PrometheusText.Series, Double> nonZero(Map<PrometheusText.Series, Double> series) {
        Map<PrometheusText.Series, Double> out = new java.util.HashMap<>(series);
        out.values().removeIf(v -> v == 0);
        return out;
    }

    private static Map<PrometheusText.Series, Double> seriesOf(Map<PrometheusText.Series, Double> samples, String name) {
        Map<PrometheusText.Series, Double> out = new java.util.HashMap<>();
        samples.forEach((s, v) -> {
            if (s.name().equals(name)) {
                out.put(s, v);
            }
        });
        return out;
    }
}

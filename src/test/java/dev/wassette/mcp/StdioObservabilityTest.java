package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `wassette run` observed by an operator's tools: metrics on an address of its own, JSON log lines. */
class StdioObservabilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ADDRESS = Pattern.compile("metrics on (http://[^/\\s]+)/metrics");
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";

    @TempDir
    Path dir;

    @Test
    void aStdioServersCallsAreScrapedFromItsMetricsAddress() throws Exception {
        Path stderr = dir.resolve("stderr.log");
        Process server = run(stderr, "--metrics-address", "127.0.0.1:0");
        try {
            OutputStream in = server.getOutputStream();
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            initializeAndLoadTypes(in, out, stderr);
            for (int id = 3; id <= 5; id++) {
                send(in, call(id, ADD, Map.of("a", id, "b", 1)));
                assertEquals(id + 1, answer(out, id, stderr).path("result").path("structuredContent").path("result").asInt());
            }

            // Logged before stdin is read, so it is in the log once initialize is answered.
            Matcher m = ADDRESS.matcher(Files.readString(stderr));
            assertTrue(m.find(), Files.readString(stderr));
            String base = m.group(1);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> scraped = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scraped.statusCode());
            Map<PrometheusText.Series, Double> samples = PrometheusText.parse(scraped.body());
            assertEquals(3.0, samples.get(new PrometheusText.Series("mcp_server_operation_duration_seconds_count",
                    Map.of("mcp_method_name", "tools/call", "gen_ai_tool_name", ADD))), scraped.body());
            assertEquals(1.0, samples.get(new PrometheusText.Series("wassette_components_loaded", Map.of())), scraped.body());

            JsonNode info = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/info")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals("types", info.path("components").get(0).path("id").asText(), info::toString);
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());

            URI uri = URI.create(base);
            try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
                s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String head = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(head.startsWith("HTTP/1.1 403"), head);
            }
            in.close();
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server exits when stdin closes");
            assertEquals(0, server.exitValue(), () -> readQuietly(stderr));
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    void withLogFormatJsonEveryStderrLineIsOneJsonObjectAndToolCallsHaveTheirFields() throws Exception {
        Path stderr = dir.resolve("stderr.log");
        Process server = run(stderr, "--log-format", "json");
        try {
            OutputStream in = server.getOutputStream();
            BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            initializeAndLoadTypes(in, out, stderr);
            send(in, call(3, ADD, Map.of("a", 1, "b", 2)));
            answer(out, 3, stderr);
            send(in, call(4, "get-policy", Map.of("component_id", "types", "api_token", "hunter2")));
            answer(out, 4, stderr);
            in.close(); // the invocation log is written before the server exits
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server exits when stdin closes");

            java.util.List<JsonNode> lines = new java.util.ArrayList<>();
            for (String line : Files.readAllLines(stderr)) {
                JsonNode record = JSON.readTree(line); // throws if a line is not JSON
                assertTrue(record.isObject() && record.has("time") && record.has("level") && record.has("logger") && record.has("message"), line);
                lines.add(record);
            }
            JsonNode add = lines.stream().filter(l -> ADD.equals(l.path("tool").asText())).findFirst().orElseThrow(() -> new AssertionError(lines));
            assertEquals("dev.wassette.invocation", add.path("logger").asText());
            assertEquals("types", add.path("component").asText());
            assertEquals("ok", add.path("outcome").asText());
            assertEquals(Map.of("a", 1, "b", 2), JSON.convertValue(add.path("args"), Map.class));
            assertTrue(add.path("execute_ms").asDouble() > 0, add::toString);
            // Who the client is, once, in the transport's line (the SDK's own, costlier one is off at INFO).
            assertEquals(1, lines.stream().filter(l -> l.path("message").asText().endsWith(": client observability-test 1, protocol 2025-06-18")).count(),
                    lines::toString);
            assertTrue(lines.stream().noneMatch(l -> l.path("message").asText().startsWith("Client initialize request")), lines::toString);
            JsonNode policy = lines.stream().filter(l -> "get-policy".equals(l.path("tool").asText())).findFirst().orElseThrow();
            assertEquals("[REDACTED]", policy.path("args").path("api_token").asText(), "secrets are redacted in the fields too");
            assertFalse(Files.readString(stderr).contains("hunter2"));
        } finally {
            server.destroyForcibly();
        }
    }

    /** A session's start (requests 1 and 2): initialize, then load types.wasm as "types". */
    private static void initializeAndLoadTypes(OutputStream in, BufferedReader out, Path stderr) throws IOException {
        send(in, Map.of("jsonrpc", "2.0", "id", 1, "method", "initialize", "params", Map.of("protocolVersion", "2025-06-18",
                "capabilities", Map.of(), "clientInfo", Map.of("name", "observability-test", "version", "1"))));
        assertEquals("wassette-java", answer(out, 1, stderr).path("result").path("serverInfo").path("name").asText());
        send(in, Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
        send(in, call(2, "load-component", Map.of("path", Fixtures.path("types.wasm").toString())));
        assertFalse(answer(out, 2, stderr).path("result").path("isError").asBoolean());
    }

    /** `wassette run` in a process of its own on this test's store, its stderr to {@code stderr}. */
    private Process run(Path stderr, String... options) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli", "run",
                "--component-dir", dir.resolve("components").toString(), "--secrets-dir", dir.resolve("secrets").toString(),
                "--config", dir.resolve("no-config.toml").toString()));
        command.addAll(List.of(options));
        return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    }

    private static Map<String, Object> call(int id, String tool, Map<String, Object> arguments) {
        return Map.of("jsonrpc", "2.0", "id", id, "method", "tools/call", "params", Map.of("name", tool, "arguments", arguments));
    }

    private static void send(OutputStream in, Object message) throws IOException {
        in.write((JSON.writeValueAsString(message) + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** The answer with {@code id}; notifications before it are skipped. A blocking read: the server answers or exits. */
    private static JsonNode answer(BufferedReader out, int id, Path stderr) throws IOException {
        for (String line; (line = out.readLine()) != null; ) {
            JsonNode message = JSON.readTree(line);
            if (message.path("id").asInt(-1) == id) {
                return message;
            }
        }
        throw new AssertionError("the server closed stdout before answering " + id + "; stderr:\n" + readQuietly(stderr));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }
}

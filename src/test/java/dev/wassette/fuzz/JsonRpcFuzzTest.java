package dev.wassette.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.mcp.StreamTransport;
import dev.wassette.mcp.WassetteMcpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whatever a client sends, the server answers with JSON-RPC and goes on: fuzzed lines into a stdio
 * session (after a real initialize), and fuzzed bodies POSTed to {@code /mcp} in an initialized
 * HTTP session. Each input is followed by a valid ping, which must be answered; every line written
 * to the session's output must be a JSON-RPC message, and no HTTP answer may be a server error.
 */
class JsonRpcFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":\"fuzz-init\",\"method\":\"initialize\",\"params\":"
            + "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"fuzz\",\"version\":\"1\"}}}";
    private static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":\"fuzz-ping\",\"method\":\"ping\"}";
    private static final AtomicInteger SESSIONS = new AtomicInteger();
    private static StreamTransport stdio;
    private static HttpMcpServer http;
    private static String httpSession;

    private static synchronized StreamTransport stdio() {
        if (stdio == null) {
            WassetteMcpServer server = new WassetteMcpServer(FuzzFixtures.host(), true);
            stdio = new StreamTransport(server, HttpMcpServer.MAX_REQUEST_BYTES);
            server.streams(stdio);
        }
        return stdio;
    }

    @FuzzTest(maxDuration = "10s")
    void everyStdioLineIsAnsweredWithJsonRpcAndTheNextRequestIsServed(byte[] input) throws Exception {
        byte[] session = (INITIALIZE + "\n" + INITIALIZED + "\n" + new String(input, StandardCharsets.UTF_8) + "\n" + PING + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStream out = new OutputStream() { // answers may come from more than one thread
            @Override
            public synchronized void write(int b) {
                written.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                written.write(b, off, len);
            }
        };
        StreamTransport.Connection connection = stdio().open("fuzz-" + SESSIONS.incrementAndGet(), new ByteArrayInputStream(session), out, null, null);
        assertTrue(connection.start().await(30, TimeUnit.SECONDS), "the session read its whole input");
        assertTrue(connection.awaitAnswered(Duration.ofSeconds(30)), "every request was answered");
        connection.end("end of the fuzz input");
        String output;
        synchronized (out) {
            output = written.toString(StandardCharsets.UTF_8);
        }
        boolean pinged = false;
        for (String line : output.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode message = JSON.readTree(line); // throws if it is not JSON
            assertTrue(message.isObject() && "2.0".equals(message.path("jsonrpc").asText()), line);
            pinged |= "fuzz-ping".equals(message.path("id").asText()) && message.has("result");
        }
        assertTrue(pinged, "the ping after the input was answered:\n" + output);
    }

    private static synchronized String httpSession() throws Exception {
        if (http == null) {
            http = HttpMcpServer.start(FuzzFixtures.host(), true, "127.0.0.1:0", List.of("127.0.0.1"));
            HttpResponse<String> init = post(INITIALIZE, null);
            assertEquals(200, init.statusCode(), init.body());
            httpSession = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
            assertTrue(post(INITIALIZED, httpSession).statusCode() < 300);
        }
        return httpSession;
    }

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static HttpResponse<String> post(String body, String session) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.address().getPort() + "/mcp"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @FuzzTest(maxDuration = "10s")
    void everyHttpBodyIsAnsweredWithoutAServerErrorAndTheNextRequestIsServed(byte[] input) throws Exception {
        String session = httpSession();
        HttpResponse<String> answer = post(new String(input, StandardCharsets.UTF_8), session);
        assertTrue(answer.statusCode() < 500, answer.statusCode() + " " + answer.body());
        for (String message : messages(answer)) {
            JsonNode parsed = JSON.readTree(message);
            assertTrue(parsed.isObject() && "2.0".equals(parsed.path("jsonrpc").asText()), message);
        }
        HttpResponse<String> pong = post(PING, session);
        assertEquals(200, pong.statusCode(), pong.body());
        assertTrue(messages(pong).stream().anyMatch(m -> m.contains("\"fuzz-ping\"") && m.contains("\"result\"")), pong.body());
    }

    /** The JSON-RPC messages of an answer: its JSON body, or the data of its event stream. */
    private static List<String> messages(HttpResponse<String> answer) {
        String type = answer.headers().firstValue("Content-Type").orElse("");
        if (type.startsWith("text/event-stream")) {
            return answer.body().lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).strip()).filter(l -> !l.isEmpty()).toList();
        }
        return answer.body().isBlank() ? List.of() : List.of(answer.body());
    }
}

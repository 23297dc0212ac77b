package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over streamable HTTP a spinning guest stops when its call is cancelled, when the client closes the
 * connection that waits for its answer, and when the client ends the session. The call deadline is
 * ten minutes, so only the cancellation can end these calls within the test's bounds. A call
 * answered at once is one JSON body; one that outlives a heartbeat becomes an event stream.
 */
class HttpCancellationTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private ComponentHost host;
    private HttpMcpServer server;
    private String base;
    private final HttpClient http = HttpClient.newHttpClient();
    private String session;

    @BeforeEach
    void start() throws Exception {
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofMinutes(10)).maxResultBytes(1 << 20).build());
        server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("localhost", "127.0.0.1"));
        base = "http://127.0.0.1:" + server.address().getPort() + "/mcp";
        HttpResponse<String> init = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        session = init.headers().firstValue("Mcp-Session-Id").orElse(null);
        assertNotNull(session, init.toString());
        assertEquals(202, post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").statusCode());
        String loaded = post(call(2, "load-component", "{\"path\":\"" + Fixtures.path("spin.wasm").toUri() + "\"}")).body();
        assertTrue(loaded.contains("component loaded successfully"), loaded);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        host.close();
    }

    private static String call(int id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }

    private HttpRequest.Builder request() {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base)).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream");
        return session == null ? b : b.header("Mcp-Session-Id", session);
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(request().POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void notificationsCancelledStopsTheGuest() throws Exception {
        CompletableFuture<HttpResponse<String>> spinning = http.sendAsync(request()
                .POST(HttpRequest.BodyPublishers.ofString(call(5, "spin", "{}"))).build(), HttpResponse.BodyHandlers.ofString());
        await(() -> server.calls().anyRunning(), "the guest spins");
        HttpResponse<String> cancel = post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5,\"reason\":\"stop\"}}");
        assertEquals(202, cancel.statusCode());
        String answer = spinning.get(BOUND.toSeconds(), TimeUnit.SECONDS).body();
        assertTrue(answer.contains("call cancelled: stop") && answer.contains("\"isError\":true"), answer);
        await(() -> server.calls().size() == 0, "the call is gone");
        assertTrue(post(call(6, "ok", "{}")).body().contains("\"result\":42"), "the component serves on");
    }

    @Test
    void aQuickCallIsAnsweredWithOneJsonBodyOfKnownLength() throws Exception {
        HttpResponse<String> answer = post(call(10, "ok", "{}"));
        assertEquals(200, answer.statusCode());
        assertEquals("application/json", answer.headers().firstValue("Content-Type").orElse(""), answer.headers().map().toString());
        assertEquals(answer.body().getBytes(StandardCharsets.UTF_8).length,
                answer.headers().firstValueAsLong("Content-Length").orElse(-1), "not chunked: " + answer.headers().map());
        assertTrue(answer.body().startsWith("{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":") && answer.body().contains("\"result\":42"), answer.body());
    }

    @Test
    void aCallThatOutlivesAHeartbeatIsAnsweredAsAnEventStream() throws Exception {
        // The headers come only when the first heartbeat turns the answer into an event stream.
        HttpResponse<java.util.stream.Stream<String>> streaming = http.sendAsync(request()
                        .POST(HttpRequest.BodyPublishers.ofString(call(11, "spin", "{}"))).build(), HttpResponse.BodyHandlers.ofLines())
                .get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, streaming.statusCode());
        assertTrue(streaming.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), streaming.headers().map().toString());
        assertEquals(202, post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":11,\"reason\":\"enough\"}}")
                .statusCode());
        List<String> lines;
        try (java.util.stream.Stream<String> body = streaming.body()) {
            lines = body.toList();
        }
        assertEquals(":", lines.getFirst(), "a heartbeat comment first: " + lines);
        String data = lines.stream().filter(l -> l.startsWith("data: ")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(lines.toString()));
        assertTrue(data.contains("\"id\":11") && data.contains("call cancelled: enough"), data);
        await(() -> server.calls().size() == 0, "the call is gone");
    }

    @Test
    void closingTheConnectionStopsTheGuest() throws Exception {
        byte[] body = call(7, "spin", "{}").getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", server.address().getPort())) {
            socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " + session + "\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            await(() -> server.calls().anyRunning(), "the guest spins");
        }
        await(() -> server.calls().size() == 0, "the call stops after its client went away");
        assertTrue(post(call(8, "ok", "{}")).body().contains("\"result\":42"), "the component serves on");
    }

    @Test
    void endingTheSessionStopsItsCalls() throws Exception {
        CompletableFuture<HttpResponse<String>> spinning = http.sendAsync(request()
                .POST(HttpRequest.BodyPublishers.ofString(call(9, "spin", "{}"))).build(), HttpResponse.BodyHandlers.ofString());
        await(() -> server.calls().anyRunning(), "the guest spins");
        http.send(request().DELETE().build(), HttpResponse.BodyHandlers.ofString());
        await(() -> server.calls().size() == 0, "the session's call stops");
        spinning.handle((r, e) -> null).get(BOUND.toSeconds(), TimeUnit.SECONDS);
    }
}

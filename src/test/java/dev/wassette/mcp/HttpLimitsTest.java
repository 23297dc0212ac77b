package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one HTTP client can hold is bounded, each bound answered with a clear JSON-RPC error, and
 * hostile clients (slow-loris, one that never reads its answers) do not hold up the others.
 */
class HttpLimitsTest {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}";

    @TempDir
    Path dir;
    private ComponentHost host;
    private HttpMcpServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    private void start(HttpLimits limits) throws Exception {
        // A call deadline far beyond the test's bounds: only a cancellation ends a spinning call.
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofMinutes(10))
                .maxResultBytes(8 << 20).build());
        server = HttpMcpServer.start(host, HttpMcpServer.Options.of("127.0.0.1:0", List.of("127.0.0.1")).withLimits(limits));
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void anIdleSessionIsClosedAndItsClientAnsweredNotFound() throws Exception {
        // (Long enough that the session's own two opening requests are never a sweep apart.)
        start(new HttpLimits(256, 64, Duration.ofSeconds(1), 1024, Duration.ofSeconds(30)));
        String idle = initialize();
        await(() -> !server.sessionOpen(idle), "the idle session was swept");
        HttpResponse<String> gone = post(ping(31), idle);
        assertEquals(404, gone.statusCode(), gone.body());
        assertTrue(gone.body().contains("Session not found"), gone.body());
        initialize(); // its client starts again
    }

    @Test
    void sessionsBeyondTheLimitAreRefusedUntilOneEnds() throws Exception {
        start(new HttpLimits(2, 64, Duration.ofMinutes(30), 1024, Duration.ofSeconds(30)));
        String first = initialize();
        initialize();
        HttpResponse<String> refused = post(INITIALIZE, null);
        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("\"code\":-32000") && refused.body().contains("serves at most 2 sessions at once"), refused.body());

        HttpResponse<String> deleted = http.send(request(first).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(deleted.statusCode() < 300, deleted.toString());
        assertNotNull(initialize(), "a session ended: another may start");
    }

    @Test
    void requestsOfOneSessionBeyondTheLimitAreRefusedWhileOtherSessionsGoOn() throws Exception {
        start(new HttpLimits(16, 2, Duration.ofMinutes(30), 1024, Duration.ofSeconds(30)));
        String session = initialize();
        load(session, "spin.wasm");
        List<CompletableFuture<HttpResponse<String>>> spinning = new ArrayList<>();
        for (int id = 10; id < 12; id++) {
            spinning.add(http.sendAsync(request(session).POST(HttpRequest.BodyPublishers.ofString(call(id, "spin", "{}"))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        await(() -> server.calls().size() == 2 && server.calls().anyRunning(), "both calls run");
        HttpResponse<String> refused = post(ping(12), session);
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("\"id\":12") && refused.body().contains("this session has 2 in flight"), refused.body());

        String other = initialize();
        assertEquals(200, post(ping(13), other).statusCode(), "another session is not limited by this one's calls");

        for (int id = 10; id < 12; id++) {
            post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + id + "}}", session);
        }
        for (CompletableFuture<HttpResponse<String>> call : spinning) {
            call.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
        assertEquals(200, post(ping(14), session).statusCode(), "with its calls answered the session may send again");
    }

    @Test
    void slowLorisConnectionsDoNotHoldUpOtherClientsAndSilentOnesAreClosed() throws Exception {
        start(new HttpLimits(16, 64, Duration.ofMinutes(30), 1024, Duration.ofSeconds(2)));
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", server.address().getPort()));
                s.getOutputStream().write("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl".getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            // Half keep dribbling a byte of headers now and then; the other half fall silent.
            Thread dribbler = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        for (int i = 0; i < slow.size(); i += 2) {
                            slow.get(i).getOutputStream().write('i');
                        }
                        Thread.sleep(500);
                    }
                } catch (IOException | InterruptedException e) {
                    // the test is over, or the server closed one
                }
            });
            try {
                String session = initialize();
                for (int id = 2; id < 22; id++) {
                    assertEquals(200, post(ping(id), session).statusCode());
                }
            } finally {
                dribbler.interrupt();
            }
            for (int i = 1; i < slow.size(); i += 2) {
                assertTrue(closedByServer(slow.get(i)), "a silent connection is closed after the idle timeout");
            }
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void aClientThatNeverReadsItsAnswersHoldsOnlyItsOwnSlotsUntilTheIdleTimeoutFreesThem() throws Exception {
        // An idle timeout long enough that the three stalled answers are surely held at once (each
        // reads and echoes 3 MB first; with 2 s, a slow machine freed the first before the third began).
        start(new HttpLimits(16, 3, Duration.ofMinutes(30), 1024, Duration.ofSeconds(10)));
        String session = initialize();
        load(session, "types.wasm");
        // Three calls whose 6 MB answers fill the socket buffers: the client reads nothing of them
        // but their status lines. A call refused with 429 is sent again: the slot of the request
        // before it (the load) may be given back only just after its answer reached the client.
        String big = "x".repeat(3 << 20);
        List<Socket> unread = new ArrayList<>();
        try {
            for (int id = 10; id < 13; id++) {
                long deadline = System.nanoTime() + BOUND.toNanos();
                while (true) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(4096);
                    s.connect(new InetSocketAddress("127.0.0.1", server.address().getPort()));
                    byte[] body = call(id, "wassette_fixtures_types_0_1_0_echo-string", "{\"v\":\"" + big + "\"}").getBytes(StandardCharsets.UTF_8);
                    OutputStream out = s.getOutputStream();
                    out.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                            + "Mcp-Session-Id: " + session + "\r\nMCP-Protocol-Version: 2025-06-18\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    String status = statusLine(s);
                    if (status.startsWith("HTTP/1.1 200")) {
                        unread.add(s);
                        break;
                    }
                    s.close();
                    assertTrue(status.startsWith("HTTP/1.1 429") && System.nanoTime() < deadline, "call " + id + ": " + status);
                    Thread.sleep(20);
                }
            }
            await(() -> pingStatus(20, session) == 429, "the unread answers hold the session's three slots");
            String other = initialize();
            assertEquals(200, post(ping(21), other).statusCode(), "other sessions are served meanwhile");
            // The connection idle timeout ends the stalled writes, and the slots come back.
            await(() -> pingStatus(22, session) == 200, "the idle timeout freed the stalled answers' slots");
        } finally {
            for (Socket s : unread) {
                s.close();
            }
        }
    }

    /** The first line of the answer on {@code s}, read a byte at a time so that nothing after it is read. */
    private static String statusLine(Socket s) throws IOException {
        s.setSoTimeout((int) BOUND.toMillis());
        InputStream in = s.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            line.append((char) b);
        }
        return line.toString().strip();
    }

    /** Reads until the server closes the connection (true) or 30 s pass (false). */
    private static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(1000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[4096];
        while (System.nanoTime() < deadline) {
            try {
                if (in.read(buffer) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // not yet
            } catch (IOException e) {
                return true; // reset
            }
        }
        return false;
    }

    private String initialize() throws Exception {
        HttpResponse<String> init = post(INITIALIZE, null);
        assertEquals(200, init.statusCode(), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        assertEquals(202, post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", session).statusCode());
        return session;
    }

    private void load(String session, String fixture) throws Exception {
        String answer = post(call(2, "load-component", "{\"path\":\"" + Fixtures.path(fixture).toUri() + "\"}"), session).body();
        assertTrue(answer.contains("component loaded successfully"), answer);
    }

    private HttpRequest.Builder request(String session) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + "/mcp"))
                .timeout(BOUND).header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream");
        if (session != null) {
            b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
        }
        return b;
    }

    private HttpResponse<String> post(String body, String session) throws Exception {
        return http.send(request(session).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The HTTP status of a ping in {@code session}, or -1 when it could not be sent. */
    private int pingStatus(int id, String session) {
        try {
            return post(ping(id), session).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static String call(int id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }

    private static String ping(int id) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"ping\"}";
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + BOUND + ": " + what);
            }
            Thread.sleep(20);
        }
    }
}

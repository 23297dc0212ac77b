package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import dev.wassette.runtime.unix.NativeDescriptors;
import dev.wassette.runtime.unix.OwnedFileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's side of the shim's protocol, in this process: a test client speaks it as
 * {@code wassette-shim} does — the handshake line, then the stdio descriptors with one byte, or the
 * relay — and the descriptors this process holds are counted before and after. Every wait is bounded.
 */
class LocalSocketServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BOUND_SECONDS = 60;
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
            + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"socket-test\",\"version\":\"1\"}}}\n";

    @TempDir
    Path dir;
    private ComponentHost host;
    private WassetteMcpServer server;
    private LocalSocketServer sockets;
    private Path socket;
    private final List<LocalSocketServer.Hello> hellos = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.defaults().withDirectories(dir.resolve("components"),
                dir.resolve("secrets")));
        server = new WassetteMcpServer(host, true);
        StreamTransport transport = new StreamTransport(server, 1 << 20);
        server.streams(transport);
        socket = dir.resolve("d.sock");
        sockets = LocalSocketServer.bind(socket, Duration.ofMinutes(10), hello -> {
            hellos.add(hello);
            return new LocalSocketServer.Admission.Accept(transport, hello.client(), Duration.ofSeconds(5), List.of(), List.of("a warning for the session"), null);
        }, new java.util.logging.SimpleFormatter());
    }

    @AfterEach
    void stop() {
        sockets.close();
        server.close();
        host.close();
    }

    @Test
    void sessionsOnPassedStdioLeaveNoDescriptorOpenHowEverTheyEnd() throws Throwable {
        passedSession(true); // the server's own descriptors (the store, class files) are open after the first
        awaitSessions(0);
        long before = NativeDescriptors.openCount();
        for (int i = 0; i < 20; i++) {
            passedSession(i % 5 != 4); // every fifth: the shim goes away before the client's input ends
        }
        awaitSessions(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (NativeDescriptors.openCount() > before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        // Not more than before: a leak raises the count; the JVM closing something of its own (another
        // test's leftovers, class files) may lower it meanwhile, which is no leak.
        long after = NativeDescriptors.openCount();
        assertTrue(after <= before, "descriptors open before and after 20 sessions: " + before + " then " + after);
        assertTrue(hellos.stream().allMatch(LocalSocketServer.Hello::offersStdio));
    }

    /**
     * One session as the shim runs it with passed stdio: pipes stand for the client's stdin, stdout
     * and stderr. {@code inputEnds}: the client closes stdin and the daemon says the exit status;
     * else the shim's connection closes first, which ends the session too.
     */
    private void passedSession(boolean inputEnds) throws Throwable {
        OwnedFileDescriptor[] stdin = NativeDescriptors.pipe();
        OwnedFileDescriptor[] stdout = NativeDescriptors.pipe();
        OwnedFileDescriptor[] stderr = NativeDescriptors.pipe();
        OwnedFileDescriptor shim = NativeDescriptors.connect(socket);
        InputStream fromDaemon = shim.inputStream(null);
        hello(shim, "pass");
        JsonNode answer = line(fromDaemon);
        assertTrue(answer.path("ok").asBoolean(), answer::toString);
        assertEquals("pass", answer.path("stdio").asText(), answer::toString);
        NativeDescriptors.sendWithDescriptors(shim, stdin[0], stdout[1], stderr[1]);
        // As the shim: it keeps no copy the daemon's end depends on (the client's ends stay here).
        stdin[0].close();
        stdout[1].close();
        stderr[1].close();

        OutputStream requests = stdin[1].outputStream(null);
        InputStream answers = stdout[0].inputStream(null);
        requests.write(INITIALIZE.getBytes(StandardCharsets.UTF_8));
        JsonNode initialized = line(answers);
        assertEquals("wassette-java", initialized.path("result").path("serverInfo").path("name").asText(), initialized::toString);
        if (inputEnds) {
            requests.close();
            assertEquals(JSON.readTree("{\"exit\":0}"), line(fromDaemon), "the exit status, once the session has ended");
        } else {
            shim.close();
        }
        assertEquals(-1, readWithin(answers), "the daemon closed its copy of the client's stdout");
        String log = new String(readAllWithin(stderr[0].inputStream(null)), StandardCharsets.UTF_8);
        assertTrue(log.contains("a warning for the session"), log);
        for (OwnedFileDescriptor fd : List.of(stdin[1], stdout[0], stderr[0], shim)) {
            fd.close();
        }
    }

    @Test
    void descriptorsThatDoNotArriveWholeTurnTheSessionIntoARelay() throws Throwable {
        long before = NativeDescriptors.openCount();
        OwnedFileDescriptor[] stdin = NativeDescriptors.pipe();
        OwnedFileDescriptor shim = NativeDescriptors.connect(socket);
        InputStream fromDaemon = shim.inputStream(null);
        hello(shim, "pass");
        assertEquals("pass", line(fromDaemon).path("stdio").asText());
        NativeDescriptors.sendWithDescriptors(shim, stdin[0]); // one of three
        assertEquals(JSON.readTree("{\"stdio\":\"relay\"}"), line(fromDaemon));
        relayedInitialize(shim, fromDaemon);
        shim.close();
        stdin[0].close();
        stdin[1].close();
        awaitSessions(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (NativeDescriptors.openCount() > before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long after = NativeDescriptors.openCount(); // not more than before (the JVM may close its own meanwhile)
        assertTrue(after <= before, "the descriptor that did arrive was closed: " + before + " then " + after);
    }

    @Test
    void aShimThatDoesNotOfferItsStdioIsRelayed() throws Throwable {
        for (String stdio : new String[] {"relay", null}) { // null: a shim that predates the field
            OwnedFileDescriptor shim = NativeDescriptors.connect(socket);
            InputStream fromDaemon = shim.inputStream(null);
            hello(shim, stdio);
            JsonNode answer = line(fromDaemon);
            assertTrue(answer.path("ok").asBoolean(), answer::toString);
            assertFalse(answer.has("stdio"), "no stdio field: the relay, which every shim speaks");
            relayedInitialize(shim, fromDaemon);
            shim.close();
        }
        assertFalse(hellos.stream().anyMatch(LocalSocketServer.Hello::offersStdio));
    }

    @Test
    void aHandshakeOfAnotherVersionIsRefused() throws Throwable {
        OwnedFileDescriptor shim = NativeDescriptors.connect(socket);
        shim.outputStream(null).write("{\"wassette\":\"session\",\"protocol\":2}\n".getBytes(StandardCharsets.UTF_8));
        assertRefusedAsABadHandshake(shim, "different builds");
    }

    /** The daemon answers {@code ok: false}, exit status 2, with a message containing {@code why}, and admits no session. */
    private void assertRefusedAsABadHandshake(OwnedFileDescriptor shim, String why) throws Exception {
        JsonNode answer = line(shim.inputStream(null));
        assertFalse(answer.path("ok").asBoolean());
        assertEquals(2, answer.path("exit").asInt());
        assertTrue(answer.path("message").asText().contains(why), answer::toString);
        shim.close();
        assertTrue(hellos.isEmpty());
    }

    @Test
    void aSessionWhoseOpeningTheShimAnsweredGetsOnlyTheRestAndIsToldIfTheToolsChanged() throws Throwable {
        String opening = INITIALIZE + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                + "{\"jsonrpc\":\"2.0\",\"id\":\"listed\",\"method\":\"tools/list\"}\n";
        for (boolean sameTools : new boolean[] {false, true}) {
            OwnedFileDescriptor shim = NativeDescriptors.connect(socket);
            InputStream fromDaemon = shim.inputStream(null);
            byte[] replay = opening.getBytes(StandardCharsets.UTF_8);
            String digest = sameTools ? EarlyAnswers.toolsDigest(server) : "0".repeat(64);
            hello(shim, "relay", Map.of("replay", replay.length, "answered", List.of(1, "listed"), "tools", digest), replay);
            assertTrue(line(fromDaemon).path("ok").asBoolean());
            // The replay is the session's first input; then what the relay sends.
            shim.outputStream(null).write("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8));
            List<JsonNode> toClient = new java.util.ArrayList<>();
            while (toClient.isEmpty() || !toClient.getLast().path("id").asText().equals("3")) {
                toClient.add(JSON.readTree(stdoutFrame(fromDaemon)));
            }
            List<String> seen = toClient.stream().map(m -> m.has("id") ? "id " + m.get("id") : m.path("method").asText()).toList();
            assertEquals(sameTools ? List.of("id 3") : List.of("notifications/tools/list_changed", "id 3"), seen,
                    "the answers the shim gave are not given again; a list other than the server's is corrected");
            shim.close();
        }
        assertEquals(2, hellos.size());
        assertEquals(java.util.Set.of("1", "\"listed\""), hellos.getFirst().early().requestIds());
    }

    @Test
    void aMalformedEarlyFieldRefusesTheSession() throws Throwable {
        OwnedFileDescriptor shim = NativeDescriptors.connect(socket);
        hello(shim, "relay", Map.of("replay", -1, "answered", List.of()), new byte[0]);
        assertRefusedAsABadHandshake(shim, "bad handshake: early must be");
    }

    /** The payload of the next frame on channel 1 (the client's stdout), skipping stderr frames, within the bound. */
    private static byte[] stdoutFrame(InputStream fromDaemon) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                while (true) {
                    Frame frame = frame(fromDaemon);
                    if (frame.channel() == 1) {
                        return frame.payload();
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    private record Frame(int channel, byte[] payload) {}

    /** One frame of the relay: a channel byte, a 32-bit big-endian length, that many bytes. */
    private static Frame frame(InputStream fromDaemon) throws IOException {
        byte[] header = fromDaemon.readNBytes(5);
        assertEquals(5, header.length, "a frame header");
        int length = ((header[1] & 0xff) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        return new Frame(header[0], fromDaemon.readNBytes(length));
    }

    /** In the relay the session's input is the connection's bytes, its stdout frames on channel 1. */
    private static void relayedInitialize(OwnedFileDescriptor shim, InputStream fromDaemon) throws IOException {
        shim.outputStream(null).write(INITIALIZE.getBytes(StandardCharsets.UTF_8));
        while (true) {
            Frame frame = frame(fromDaemon);
            if (frame.channel() == 1) {
                JsonNode initialized = JSON.readTree(frame.payload());
                assertEquals("wassette-java", initialized.path("result").path("serverInfo").path("name").asText());
                return;
            }
            assertEquals(2, frame.channel(), "stderr frames (the session's warnings) may come first");
        }
    }

    private void hello(OwnedFileDescriptor shim, String stdio) throws IOException {
        hello(shim, stdio, null, new byte[0]);
    }

    /** The handshake line, with an {@code early} field if not null, and then {@code replay}, as the shim sends them. */
    private void hello(OwnedFileDescriptor shim, String stdio, Map<String, Object> early, byte[] replay) throws IOException {
        Map<String, Object> hello = new LinkedHashMap<>(Map.of("wassette", "session", "protocol", LocalSocketServer.PROTOCOL,
                "args", List.of(), "cwd", dir.toString(), "env", Map.of("HOME", dir.toString())));
        if (stdio != null) {
            hello.put("stdio", stdio);
        }
        if (early != null) {
            hello.put("early", early);
        }
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.writeBytes((JSON.writeValueAsString(hello) + "\n").getBytes(StandardCharsets.UTF_8));
        line.writeBytes(replay);
        shim.outputStream(null).write(line.toByteArray());
    }

    /** One line of JSON, read byte by byte (nothing after it is consumed). */
    private static JsonNode line(InputStream in) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            try {
                for (int b; (b = in.read()) != '\n'; ) {
                    if (b < 0) {
                        throw new AssertionError("end of stream before a whole line: " + line);
                    }
                    line.write(b);
                }
                return JSON.readTree(line.toByteArray());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    private static int readWithin(InputStream in) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.read();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    private static byte[] readAllWithin(InputStream in) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    private void awaitSessions(int open) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (sockets.sessions() != open) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still " + sockets.sessions() + " sessions open after " + BOUND_SECONDS + " s");
            }
            Thread.sleep(10);
        }
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} in a process of its own answers a session's opening from what the last run of the same
 * configuration recorded, while its server starts, and then serves the session as if it had answered
 * it itself (EarlyResponder, EarlyAnswers, StreamTransport).
 */
class StdioEarlyAnswersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOUND = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Path runtime;

    /** One `run` process's session: the messages it wrote and its log. */
    private record Session(List<JsonNode> messages, String log) {
        JsonNode answer(int id) {
            return messages.stream().filter(m -> m.path("id").asInt(-1) == id).findFirst()
                    .orElseThrow(() -> new AssertionError("no answer to " + id + " in " + messages));
        }

        boolean notified(String method) {
            return messages.stream().anyMatch(m -> method.equals(m.path("method").asText()));
        }

        boolean answeredEarly() {
            return log.contains("of the session's first requests from");
        }

        /** Answered from what an earlier run of this configuration recorded. */
        boolean answeredFromItsRecording() {
            return java.util.regex.Pattern.compile("of the session's first requests from .*/run-[0-9a-f]{16}\\.early\\.json").matcher(log).find();
        }

        /** Answered from what a server of this build answered for the content of its store. */
        boolean answeredFromTheStoreContentsAnswers() {
            return java.util.regex.Pattern.compile("of the session's first requests from .*/answers/store-[0-9a-f]{16}\\.json").matcher(log).find();
        }
    }

    @BeforeEach
    void runtimeDirectory() throws IOException {
        runtime = dir.resolve("run");
        Files.createDirectory(runtime, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /**
     * Starts `run`, writes {@code lines} at once, reads until the answer to {@code lastId}, then,
     * when {@code awaitRecording}, until the recorded answers exist; then closes stdin.
     */
    private Session session(int lastId, boolean awaitRecording, String... lines) throws Exception {
        return session(dir, dir.resolve("components").toString(), lastId, awaitRecording, lines);
    }

    /** The same, run in {@code workingDirectory} with {@code store} as its {@code --component-dir}. */
    private Session session(Path workingDirectory, String store, int lastId, boolean awaitRecording, String... lines) throws Exception {
        return session(workingDirectory, store, List.of(), lastId, awaitRecording, lines);
    }

    /** The same, with {@code options} added to the command line (another configuration). */
    private Session session(Path workingDirectory, String store, List<String> options, int lastId, boolean awaitRecording, String... lines)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = Files.createTempFile(dir, "stderr", ".log");
        Files.createDirectories(workingDirectory);
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.wassette.cli.WassetteCli", "run", "--component-dir", store, "--secrets-dir", dir.resolve("secrets").toString()));
        command.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectError(log.toFile());
        pb.environment().put("XDG_RUNTIME_DIR", runtime.toString());
        pb.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        pb.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString()); // the build's answers for an empty store: none before the first run
        pb.environment().remove("WASSETTE_DAEMON_EARLY");
        Process server = pb.start();
        try {
            OutputStream toServer = server.getOutputStream();
            for (String line : lines) {
                toServer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            }
            toServer.flush();
            BufferedReader fromServer = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            List<JsonNode> messages = new ArrayList<>();
            while (messages.isEmpty() || messages.getLast().path("id").asInt(-1) != lastId) {
                String line = fromServer.readLine();
                if (line == null) {
                    throw new AssertionError("stdout closed; so far " + messages + "\n" + Files.readString(log));
                }
                messages.add(JSON.readTree(line)); // throws if stdout carries anything but JSON
            }
            if (awaitRecording) {
                long deadline = System.nanoTime() + BOUND.toNanos();
                while (recorded() == null) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("no answers recorded within " + BOUND + ":\n" + Files.readString(log));
                    }
                    Thread.sleep(50);
                }
            }
            toServer.close();
            assertTrue(server.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "run did not exit after stdin closed");
            return new Session(messages, Files.readString(log));
        } finally {
            server.destroyForcibly();
        }
    }

    private Path recorded() throws IOException {
        Path wassette = runtime.resolve("wassette");
        if (!Files.isDirectory(wassette)) {
            return null;
        }
        try (Stream<Path> files = Files.list(wassette)) {
            return files.filter(f -> f.getFileName().toString().matches("run-[0-9a-f]{16}\\.early\\.json")).findFirst().orElse(null);
        }
    }

    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"early-test\",\"version\":\"1\"}}}";
    private static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    private static final String LIST = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
    private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"list-components\",\"arguments\":{}}}";

    @Test
    void theNextRunAnswersTheOpeningAsTheServerWouldAndTheServerTakesTheSessionOver() throws Exception {
        Session first = session(2, true, INITIALIZE, INITIALIZED, LIST);
        assertFalse(first.answeredEarly(), "nothing recorded before the first run");

        Session second = session(3, false, INITIALIZE, INITIALIZED, LIST, CALL);
        assertTrue(second.answeredFromItsRecording(), second.log);
        assertAnsweredAsItsServerAndTakenOver(first, second);
    }

    /**
     * {@code later}, a session of initialize, initialized, tools/list and a call, got {@code
     * first}'s answers to the opening, and its server answered the call, with nothing answered twice
     * and no list_changed.
     */
    private static void assertAnsweredAsItsServerAndTakenOver(Session first, Session later) {
        assertEquals(first.answer(1), later.answer(1), "initialize as the server answered it");
        assertEquals(first.answer(2), later.answer(2), "tools/list as the server answered it");
        assertFalse(later.answer(3).path("result").path("isError").asBoolean(true), "the server answers what follows: " + later.answer(3));
        assertEquals(3, later.messages().size(), "each request answered once, and no list_changed: " + later.messages());
    }

    @Test
    void recordedToolsThatAreNotTheServersBringListChanged() throws Exception {
        session(2, true, INITIALIZE, INITIALIZED, LIST);
        // As if the recording were of a server with one tool less.
        Path file = recorded();
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        ArrayNode tools = (ArrayNode) root.at("/tools/tools");
        String removed = tools.remove(0).path("name").asText();
        root.put("toolsDigest", "not-the-servers");
        Files.write(file, JSON.writeValueAsBytes(root));

        // The call ends the early answers: the server answers the second tools/list.
        Session session = session(4, false, INITIALIZE, INITIALIZED, LIST, CALL, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}");
        assertTrue(session.answeredFromItsRecording(), session.log);
        assertFalse(names(session.answer(2)).contains(removed), "the recorded list, as recorded");
        assertTrue(session.notified("notifications/tools/list_changed"), session.messages().toString());
        assertTrue(names(session.answer(4)).contains(removed), "then the server's own list");
    }

    @Test
    void aStoreChangedSinceTheRecordingIsNotAnsweredFrom() throws Exception {
        session(2, true, INITIALIZE, INITIALIZED, LIST);
        Thread.sleep(20); // a later modification time than the recorded one, on coarse clocks too
        Files.createDirectories(dir.resolve("components"));
        Files.writeString(dir.resolve("components").resolve("notes.txt"), "another process wrote here");
        Session session = session(2, false, INITIALIZE, INITIALIZED, LIST);
        assertFalse(session.answeredFromItsRecording(), session.log);
        // The store still holds no component: what the server answered for an empty store holds.
        assertTrue(session.answeredFromTheStoreContentsAnswers(), session.log);
        assertEquals(2, session.messages().size(), session.messages().toString());
    }

    @Test
    void aNewConfigurationWhoseStoreHoldsNoComponentIsAnsweredFromTheAnswersForAnEmptyStore() throws Exception {
        Session first = session(2, true, INITIALIZE, INITIALIZED, LIST);
        assertFalse(first.answeredEarly(), "no answers of any kind before the first run of this build: " + first.log);

        // Another store: a configuration no run recorded.
        Session other = session(dir, dir.resolve("another-store").toString(), 3, false, INITIALIZE, INITIALIZED, LIST, CALL);
        assertTrue(other.answeredFromTheStoreContentsAnswers(), other.log);
        assertAnsweredAsItsServerAndTakenOver(first, other);
    }

    @Test
    void aNewConfigurationOverAStoreContentAServerAnsweredForIsAnsweredFromThoseAnswers() throws Exception {
        Path store = dir.resolve("store-with-a-component");
        // Stored as a user does, with its tools' metadata, so the server lists them at once.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process load = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.wassette.cli.WassetteCli", "component", "load", dev.wassette.Fixtures.path("types.wasm").toString(), "--component-dir", store.toString())
                .redirectErrorStream(true).start();
        String output = new String(load.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(load.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS) && load.exitValue() == 0, output);

        Session first = session(dir, store.toString(), 3, true, INITIALIZE, INITIALIZED, LIST, CALL);
        assertFalse(first.answeredEarly(), "no server answered for this content before: " + first.log);
        assertTrue(names(first.answer(2)).contains("wassette_fixtures_types_0_1_0_add"), "the stored component's tools: " + first.answer(2));

        // Another configuration (another option) over the same store: the same tools, answered early.
        Session other = session(dir, store.toString(), List.of("--timeout", "31s"), 3, false, INITIALIZE, INITIALIZED, LIST, CALL);
        assertTrue(other.answeredFromTheStoreContentsAnswers(), other.log);
        assertAnsweredAsItsServerAndTakenOver(first, other);

        // The component replaced (new bytes, metadata rewritten by the store): a content no server answered for.
        Files.copy(dev.wassette.Fixtures.path("io.wasm"), dir.resolve("types.wasm"));
        Process replace = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.wassette.cli.WassetteCli", "component", "load", dir.resolve("types.wasm").toString(), "--component-dir", store.toString())
                .redirectErrorStream(true).start();
        String replaced = new String(replace.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(replace.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS) && replace.exitValue() == 0, replaced);
        Session third = session(dir, store.toString(), List.of("--timeout", "32s"), 2, false, INITIALIZE, INITIALIZED, LIST);
        assertFalse(third.answeredEarly(), third.log);
        assertFalse(names(third.answer(2)).contains("wassette_fixtures_types_0_1_0_add"), "the new bytes' tools: " + third.answer(2));
    }

    @Test
    void aConfigurationWithoutRelativePathsIsAnsweredInAnyWorkingDirectory() throws Exception {
        // As an MCP client that starts a server per workspace, with the same absolute configuration.
        Session first = session(dir.resolve("workspace-a"), dir.resolve("components").toString(), 2, true, INITIALIZE, INITIALIZED, LIST);
        Session second = session(dir.resolve("workspace-b"), dir.resolve("components").toString(), 2, false, INITIALIZE, INITIALIZED, LIST);
        assertTrue(second.answeredFromItsRecording(), second.log);
        assertEquals(first.answer(2), second.answer(2), "tools/list as the server answered it");
        assertEquals(2, second.messages().size(), "no list_changed: " + second.messages());
    }

    @Test
    void aRelativeStoreIsAnsweredOnlyInItsOwnWorkingDirectory() throws Exception {
        session(dir.resolve("workspace-a"), "components", 2, true, INITIALIZE, INITIALIZED, LIST);
        // Elsewhere "components" is another store: not answered from the first one's recording.
        Session elsewhere = session(dir.resolve("workspace-b"), "components", 2, false, INITIALIZE, INITIALIZED, LIST);
        assertFalse(elsewhere.answeredFromItsRecording(), elsewhere.log);
        Session again = session(dir.resolve("workspace-a"), "components", 2, false, INITIALIZE, INITIALIZED, LIST);
        assertTrue(again.answeredFromItsRecording(), again.log);
    }

    private static List<String> names(JsonNode listAnswer) {
        List<String> names = new ArrayList<>();
        listAnswer.at("/result/tools").forEach(t -> names.add(t.path("name").asText()));
        return names;
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ComponentMetadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The answers of a stdio session's opening from recorded answers, and the hand-over to the server. */
class EarlyResponderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOUND = Duration.ofSeconds(10);
    /** This process's working directory, as the responder compares it. */
    private static final Path HERE = Path.of("").toAbsolutePath().normalize();
    private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"%s\","
            + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    private static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";

    @TempDir
    Path tmp;
    private Path file;
    private Path store;
    private Path config;
    private Pipe stdin;
    private OutputStream client;
    private final Output stdout = new Output();

    /** What the responder wrote, readable line by line while it writes. */
    private static final class Output extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            notifyAll();
        }

        /** The lines written, once there are {@code n} of them (within the bound). */
        synchronized List<JsonNode> lines(int n) throws Exception {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (lines().size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " lines, have: " + bytes.toString(StandardCharsets.UTF_8));
                }
                wait(Math.max(1, left / 1_000_000));
            }
            return lines();
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        synchronized List<JsonNode> lines() throws IOException {
            List<JsonNode> out = new ArrayList<>();
            for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
                if (!line.isEmpty()) {
                    out.add(JSON.readTree(line));
                }
            }
            return out;
        }
    }

    @BeforeEach
    void record() throws Exception {
        store = tmp.resolve("store");
        Files.createDirectories(store);
        Files.writeString(store.resolve("a.wasm"), "x");
        config = tmp.resolve("config.toml");
        file = tmp.resolve("run-test.early.json");
        writeRecorded(file, store, config);
        stdin = Pipe.open();
        client = Channels.newOutputStream(stdin.sink());
    }

    /** A file as EarlyAnswers writes one: two protocol versions, one tool, the store's and the config's stamps. */
    static void writeRecorded(Path file, Path store, Path config) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", EarlyAnswers.FORMAT);
        ObjectNode initialize = root.putObject("initialize");
        initialize.put("latest", "2025-06-18");
        ObjectNode results = initialize.putObject("results");
        results.putObject("2025-03-26").put("protocolVersion", "2025-03-26").putObject("serverInfo").put("name", "wassette");
        results.putObject("2025-06-18").put("protocolVersion", "2025-06-18").putObject("serverInfo").put("name", "wassette");
        root.putObject("tools").putArray("tools").addObject().put("name", "load-component");
        root.put("toolsDigest", "digest-1");
        ObjectNode s = root.putObject("store");
        s.put("directory", store.toString());
        s.put("modified", ComponentMetadata.FileStamp.of(store).modifiedNanos());
        ObjectNode files = s.putObject("files");
        try (var entries = Files.list(store)) {
            for (Path f : entries.toList()) {
                ComponentMetadata.FileStamp stamp = ComponentMetadata.FileStamp.of(f);
                files.putArray(f.getFileName().toString()).add(stamp.size()).add(stamp.modifiedNanos());
            }
        }
        root.putObject("configuration").putNull(config.toString());
        root.putNull("workingDirectory");
        Files.write(file, JSON.writeValueAsBytes(root));
    }

    private void send(String... lines) throws IOException {
        for (String line : lines) {
            client.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        client.flush();
    }

    private static String read(InputStream in, int bytes) throws IOException {
        return new String(in.readNBytes(bytes), StandardCharsets.UTF_8);
    }

    @Test
    void theOpeningIsAnsweredAndTheServerReadsEverythingFromTheStart() throws Exception {
        EarlyResponder responder = EarlyResponder.start(file, Channels.newInputStream(stdin.source()), stdout);
        String opening = String.join("\n", INITIALIZE.formatted("2025-03-26"), INITIALIZED,
                "{\"jsonrpc\":\"2.0\",\"id\":\"list\",\"method\":\"tools/list\",\"params\":{}}",
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}") + "\n";
        send(opening.strip().split("\n"));
        List<JsonNode> answers = stdout.lines(3);
        assertEquals(1, answers.get(0).get("id").asInt());
        assertEquals("2025-03-26", answers.get(0).at("/result/protocolVersion").asText(), "the version asked for, which the server speaks");
        assertEquals("list", answers.get(1).get("id").asText());
        assertEquals("load-component", answers.get(1).at("/result/tools/0/name").asText());
        assertEquals(JSON.createObjectNode(), answers.get(2).get("result"));

        EarlyResponder.HandOver handOver = responder.handOver();
        assertEquals(Set.of("1", "\"list\"", "7"), handOver.answered().requestIds(), "keyed as StreamTransport keys ids");
        assertEquals("digest-1", handOver.answered().toolsDigest());
        InputStream server = handOver.input();
        assertEquals(opening, read(server, opening.length()), "every byte read, answered or not, in order");
        String later = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}\n";
        send(later.strip());
        assertEquals(later, read(server, later.length()), "then stdin itself");
        assertEquals(3, stdout.lines().size(), "nothing answered after the first message the server must answer");
    }

    @Test
    void aVersionTheServerDoesNotSpeakGetsTheLatestAndIdsKeepTheirForm() throws Exception {
        EarlyResponder.start(file, Channels.newInputStream(stdin.source()), stdout);
        send("{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2099-01-01\"}}");
        JsonNode answer = stdout.lines(1).getFirst();
        assertEquals("a\"b", answer.get("id").asText());
        assertEquals("2025-06-18", answer.at("/result/protocolVersion").asText());
    }

    @Test
    void aReadInProgressAtTheHandOverIsTheServersFirstInput() throws Exception {
        EarlyResponder responder = EarlyResponder.start(file, Channels.newInputStream(stdin.source()), stdout);
        send(INITIALIZE.formatted("2025-06-18"), INITIALIZED);
        stdout.lines(1);
        EarlyResponder.HandOver handOver = responder.handOver(); // the responder waits in a read meanwhile
        String opening = INITIALIZE.formatted("2025-06-18") + "\n" + INITIALIZED + "\n";
        InputStream server = handOver.input();
        assertEquals(opening, read(server, opening.length()));
        String later = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n";
        send(later.strip());
        assertEquals(later, read(server, later.length()));
        assertEquals(1, stdout.lines().size(), "a tools/list after the hand-over is the server's");
        client.close();
        assertEquals(-1, server.read(), "the end of stdin reaches the server");
    }

    @Test
    void anythingOutOfTheUsualOrderIsTheServers() throws Exception {
        List<List<String>> sessions = List.of(
                List.of("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"),                                  // not initialize first
                List.of(INITIALIZE.formatted("2025-06-18"), "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"), // before initialized
                List.of(INITIALIZE.formatted("2025-06-18"), INITIALIZED, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{\"cursor\":\"c\"}}"),
                List.of(INITIALIZE.formatted("2025-06-18"), INITIALIZED, "[{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}]"), // a batch
                List.of(INITIALIZE.formatted("2025-06-18"), INITIALIZED, "{\"jsonrpc\":\"2.0\",\"id\":2.5,\"method\":\"ping\"}"), // not an id the server accepts
                List.of(INITIALIZE.formatted("2025-06-18"), INITIALIZED, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\""));   // not JSON
        for (List<String> lines : sessions) {
            Pipe pipe = Pipe.open();
            Output out = new Output();
            EarlyResponder responder = EarlyResponder.start(file, Channels.newInputStream(pipe.source()), out);
            OutputStream in = Channels.newOutputStream(pipe.sink());
            String all = String.join("\n", lines) + "\n";
            in.write(all.getBytes(StandardCharsets.UTF_8));
            int expected = lines.getFirst().contains("initialize") ? 1 : 0;
            out.lines(expected);
            EarlyResponder.HandOver handOver = awaitStopped(responder, all.length());
            assertEquals(expected, out.lines().size(), lines.toString());
            assertEquals(all, read(handOver.input(), all.length()), lines.toString());
        }
    }

    /** Hands over once the responder has read {@code bytes} (it stops at the message it leaves to the server). */
    private static EarlyResponder.HandOver awaitStopped(EarlyResponder responder, int bytes) throws Exception {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (responder.bytesRead() < bytes) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the responder read " + responder.bytesRead() + " of " + bytes + " bytes");
            }
            Thread.sleep(5);
        }
        return responder.handOver();
    }

    /** The cases the shim's unit tests run too (native/shim/src/early-cases.json): one set of rules for both. */
    @Test
    void theCasesSharedWithTheShim() throws Exception {
        JsonNode cases = JSON.readTree(Path.of("native/shim/src/early-cases.json").toFile());
        JsonNode recorded = cases.get("recorded");
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        ObjectNode initialize = root.putObject("initialize");
        initialize.put("latest", recorded.get("latest").asText());
        initialize.set("results", recorded.get("results"));
        root.set("tools", recorded.get("tools"));
        root.put("toolsDigest", recorded.get("toolsDigest").asText());
        Files.write(file, JSON.writeValueAsBytes(root)); // compact, in the file's key order: the bytes the shim's test copies
        for (JsonNode c : cases.get("cases")) {
            String name = c.get("name").asText();
            List<String> lines = new ArrayList<>();
            c.get("lines").forEach(l -> lines.add(l.asText()));
            StringBuilder written = new StringBuilder();
            c.get("written").forEach(w -> written.append(w.asText()).append('\n'));
            Set<String> answered = new java.util.HashSet<>();
            c.get("answered").forEach(id -> answered.add(id.toString())); // as StreamTransport keys ids
            List<List<String>> sessions = new ArrayList<>();
            sessions.add(lines);
            if (c.has("then each stops")) {
                c.get("then each stops").forEach(more -> {
                    List<String> with = new ArrayList<>(lines);
                    with.add(more.asText());
                    sessions.add(with);
                });
            }
            for (List<String> session : sessions) {
                String what = name + (session == lines ? "" : ": " + session.getLast());
                Pipe pipe = Pipe.open();
                Output out = new Output();
                EarlyResponder responder = EarlyResponder.start(file, Channels.newInputStream(pipe.source()), out);
                String all = String.join("\n", session) + "\n";
                Channels.newOutputStream(pipe.sink()).write(all.getBytes(StandardCharsets.UTF_8));
                EarlyResponder.HandOver handOver = awaitStopped(responder, all.getBytes(StandardCharsets.UTF_8).length);
                assertEquals(written.toString(), out.text(), what);
                assertEquals(answered, handOver.answered().requestIds(), what);
                assertEquals(c.get("listed").asBoolean() ? recorded.get("toolsDigest").asText() : null, handOver.answered().toolsDigest(), what);
                assertEquals(session == lines ? c.get("stops").asBoolean() : true, responder.leftAMessageToTheServer(), what);
                assertEquals(all, read(handOver.input(), all.length()), what + ": every byte reaches the server");
            }
        }
    }

    @Test
    void changedStampsAreNotAnsweredFrom() throws Exception {
        List<Runnable> changes = List.of(
                () -> write(store.resolve("b.wasm"), "new"),   // a component added
                () -> write(store.resolve("a.wasm"), "xy"),     // one changed
                () -> write(config, "[server]"));               // a config file written since
        for (Runnable change : changes) {
            record();
            Thread.sleep(20); // a later modification time than the recorded one, on coarse clocks too
            change.run();
            EarlyResponder responder = EarlyResponder.start(file, Channels.newInputStream(stdin.source()), stdout);
            send(INITIALIZE.formatted("2025-06-18"));
            EarlyResponder.HandOver handOver = responder.handOver();
            assertTrue(handOver.answered().requestIds().isEmpty());
            assertNull(handOver.answered().toolsDigest());
            String line = INITIALIZE.formatted("2025-06-18") + "\n";
            assertEquals(line, read(handOver.input(), line.length()));
            Files.deleteIfExists(store.resolve("b.wasm"));
            Files.deleteIfExists(config);
        }
        assertEquals(0, stdout.lines().size());
    }

    private static void write(Path f, String text) {
        try {
            Files.writeString(f, text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void noFileOrAMalformedOneMeansNoAnswers() throws Exception {
        for (String content : new String[] {null, "", "{", "[]", "{\"format\":1}", "{\"format\":2,\"tools\":{}}"}) {
            Path f = tmp.resolve("other.early.json");
            Files.deleteIfExists(f);
            if (content != null) {
                Files.writeString(f, content);
            }
            assertNull(EarlyResponder.Recorded.load(f, HERE), String.valueOf(content));
        }
        assertArrayEquals("{\"protocolVersion\":\"2025-06-18\",\"serverInfo\":{\"name\":\"wassette\"}}".getBytes(StandardCharsets.UTF_8),
                EarlyResponder.Recorded.load(file, HERE).initializeResult("2025-06-18"), "the recorded JSON, byte for byte");
    }

    /**
     * A server's answers for the content of {@code store}, as EarlyAnswers.writeForStoreContent writes
     * them (no stamps; listing one tool, {@code tool}), in {@code answers}: the directory.
     */
    private Path writeForStoreContent(Path answers, Path store, String tool) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        root.remove(List.of("store", "configuration", "workingDirectory"));
        root.put("for", EarlyAnswers.FOR_STORE_CONTENT);
        root.put("toolsDigest", "digest-of-" + tool);
        ((ObjectNode) root.at("/tools/tools/0")).put("name", tool);
        Files.createDirectories(answers);
        List<String> content = StoreContent.of(store);
        assertNotNull(content, "a store whose content its metadata tells");
        Files.write(StoreContent.answersFile(answers, content), JSON.writeValueAsBytes(root));
        return answers;
    }

    /** Metadata of {@code component} as the store writes it, for its current bytes (header only). */
    private static void describeAsStored(Path component) throws IOException {
        ComponentMetadata.FileStamp stamp = ComponentMetadata.FileStamp.of(component);
        ObjectNode m = JSON.createObjectNode().put("format", 1).put("sha256", "ab".repeat(32)).put("native", "native-1");
        m.putObject("file").put("size", stamp.size()).put("modified_ns", stamp.modifiedNanos()).put("key", stamp.fileKey());
        m.putArray("functions");
        String name = component.getFileName().toString();
        Files.write(component.resolveSibling(name.substring(0, name.length() - ".wasm".length()) + ".tools.json"), JSON.writeValueAsBytes(m));
    }

    /** The responder's answers to initialize, initialized and tools/list once configured with {@code store}, or none. */
    private List<JsonNode> openingAnsweredFor(Path answers, Path store, boolean servesBuiltinAndStoredToolsOnly) throws Exception {
        Pipe in = Pipe.open();
        Output out = new Output();
        EarlyResponder responder = EarlyResponder.start(tmp.resolve("no-recording.early.json"), answers, Channels.newInputStream(in.source()), out);
        OutputStream toResponder = Channels.newOutputStream(in.sink());
        String opening = String.join("\n", INITIALIZE.formatted("2025-06-18"), INITIALIZED, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}") + "\n";
        toResponder.write(opening.getBytes(StandardCharsets.UTF_8));
        toResponder.flush();
        responder.configured(store, servesBuiltinAndStoredToolsOnly);
        // Answered, if at all, before the reading stops at the end of what was written.
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (out.lines().size() < 2 && !responder.readingStopped() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        InputStream server = responder.handOver().input();
        assertEquals(opening, read(server, opening.length()), "the server reads the opening");
        return out.lines();
    }

    @Test
    void aNewConfigurationIsAnsweredFromTheAnswersForItsStoresContentOnceConfigured() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("new-store"));
        Files.writeString(empty.resolve("notes.txt"), "not a component");
        Path answers = writeForStoreContent(tmp.resolve("answers"), empty, "builtin-only");
        EarlyResponder responder = EarlyResponder.start(tmp.resolve("no-recording.early.json"), answers,
                Channels.newInputStream(stdin.source()), stdout);
        send(INITIALIZE.formatted("2025-06-18"), INITIALIZED, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
        // Nothing is answered before the command line says what the server serves.
        long deadline = System.nanoTime() + Duration.ofMillis(200).toNanos();
        while (System.nanoTime() < deadline) {
            assertEquals(0, responder.bytesRead(), "no input read before the configuration is known");
            Thread.sleep(10);
        }
        responder.configured(empty, true);
        List<JsonNode> lines = stdout.lines(2);
        assertEquals("builtin-only", lines.get(1).at("/result/tools/0/name").asText());
        EarlyResponder.HandOver handOver = responder.handOver();
        assertEquals("digest-of-builtin-only", handOver.answered().toolsDigest(), "the server compares its tools with these");

        // A store with a component: answered from the answers for its content, which its metadata tells.
        Path stored = Files.createDirectories(tmp.resolve("stored"));
        Files.writeString(stored.resolve("c.wasm"), "component bytes");
        describeAsStored(stored.resolve("c.wasm"));
        writeForStoreContent(answers, stored, "c-tool");
        assertEquals("c-tool", openingAnsweredFor(answers, stored, true).get(1).at("/result/tools/0/name").asText());
    }

    @Test
    void noAnswersForAStoreWhoseContentItsMetadataDoesNotTellOrAServerThatServesOtherTools() throws Exception {
        Path answers = tmp.resolve("answers");
        Path stored = Files.createDirectories(tmp.resolve("stored"));
        Files.writeString(stored.resolve("c.wasm"), "component bytes");
        describeAsStored(stored.resolve("c.wasm"));
        writeForStoreContent(answers, stored, "c-tool");
        assertEquals(2, openingAnsweredFor(answers, stored, true).size(), "answered while its metadata is of its bytes");
        assertEquals(List.of(), openingAnsweredFor(answers, stored, false), "a server that serves other tools (a manifest's, none built in)");

        Thread.sleep(20); // a later modification time, on coarse clocks too
        Files.writeString(stored.resolve("c.wasm"), "other component bytes");
        assertNull(StoreContent.of(stored), "metadata of other bytes");
        assertEquals(List.of(), openingAnsweredFor(answers, stored, true), "replaced bytes");

        Path another = Files.createDirectories(tmp.resolve("another"));
        Files.writeString(another.resolve("d.wasm"), "no metadata");
        assertNull(StoreContent.of(another));
        assertEquals(List.of(), openingAnsweredFor(answers, another, true), "a component without metadata");
        assertEquals(List.of(), openingAnsweredFor(answers, Files.createDirectories(tmp.resolve("never-served")), true),
                "a content no server answered for");

        Path forEmpty = writeForStoreContent(answers, tmp.resolve("absent"), "x").resolve(StoreContent.answersFile(answers, List.of()).getFileName());
        assertNull(EarlyResponder.Recorded.loadForStoreContent(file), "a configuration's recording is not a store content's");
        assertNull(EarlyResponder.Recorded.load(forEmpty, HERE), "nor the other way round");
    }

    @Test
    void aHandOverBeforeTheConfigurationIsKnownAnswersNothingAndWaitsForNothing() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("new-store"));
        EarlyResponder responder = EarlyResponder.start(tmp.resolve("no-recording.early.json"), writeForStoreContent(tmp.resolve("answers"), empty, "t"),
                Channels.newInputStream(stdin.source()), stdout);
        String opening = INITIALIZE.formatted("2025-06-18") + "\n";
        send(opening.strip());
        InputStream server = responder.handOver().input();
        assertEquals(opening, read(server, opening.length()));
        assertEquals("", stdout.text());
    }

    @Test
    void aConfigurationWithARelativePathIsAnsweredOnlyInTheDirectoryItWasResolvedIn() throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        root.put("workingDirectory", "/work/a");
        Files.write(file, JSON.writeValueAsBytes(root));
        assertNotNull(EarlyResponder.Recorded.load(file, Path.of("/work/a")));
        assertNull(EarlyResponder.Recorded.load(file, Path.of("/work/b")));
        root.remove("workingDirectory");
        Files.write(file, JSON.writeValueAsBytes(root));
        assertNull(EarlyResponder.Recorded.load(file, Path.of("/work/a")), "a file that does not say is not answered from");
    }

    @Test
    void theKeyFollowsWhatCanChangeTheServerAndNothingElse() {
        Path cwd = Path.of("/work");
        Map<String, String> env = Map.of("HOME", "/home/u", "WASSETTE_LOG", "INFO", "PATH", "/bin");
        String key = EarlyResponder.key(List.of("--component-dir", "/s"), env, cwd);
        assertEquals(16, key.length());
        assertEquals(key, EarlyResponder.key(List.of("--component-dir", "/s", "--log-format", "json"), env, cwd));
        assertEquals(key, EarlyResponder.key(List.of("--log-format=json", "--component-dir", "/s"), env, cwd));
        assertEquals(key, EarlyResponder.key(List.of("--component-dir", "/s"),
                Map.of("HOME", "/home/u", "WASSETTE_LOG", "INFO", "PATH", "/usr/bin", "WASSETTE_DAEMON", "off", "WASSETTE_LOG_FORMAT", "json"), cwd));
        assertNotEquals(key, EarlyResponder.key(List.of("--component-dir", "/t"), env, cwd));
        assertNotEquals(key, EarlyResponder.key(List.of("--component-dir", "/s"), env, Path.of("/elsewhere")), "relative paths resolve against it");
        assertNotEquals(key, EarlyResponder.key(List.of("--component-dir", "/s"), env, null), "the key of every working directory is another");
        assertEquals(EarlyResponder.key(List.of("--component-dir", "/s"), env, null), EarlyResponder.key(List.of("--component-dir", "/s"), env, null));
        assertNotEquals(key, EarlyResponder.key(List.of("--component-dir", "/s"), Map.of("HOME", "/home/u", "WASSETTE_LOG", "DEBUG"), cwd));
        assertNotEquals(key, EarlyResponder.key(List.of("--component-dir", "/s"), Map.of("HOME", "/home/v", "WASSETTE_LOG", "INFO"), cwd));
    }

    @Test
    void answersNoRunUsedForAWeekAreDeleted() throws Exception {
        Path old = tmp.resolve("run-0000000000000001.early.json");
        Path recent = tmp.resolve("run-0000000000000002.early.json");
        Path other = tmp.resolve("0000000000000003.early.json"); // a daemon's: its own to keep
        for (Path f : List.of(old, recent, other)) {
            Files.writeString(f, "{}");
        }
        java.nio.file.attribute.FileTime longAgo = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(EarlyAnswers.KEPT).minusSeconds(60));
        Files.setLastModifiedTime(old, longAgo);
        Files.setLastModifiedTime(other, longAgo);
        Files.setLastModifiedTime(file, longAgo); // this run's own, which it rewrites
        // The answers for store contents: by their age (a server writes them again when missing).
        Path answers = Files.createDirectories(tmp.resolve("answers"));
        Path oldContent = answers.resolve("store-00000000000000bb.json");
        Path recentContent = answers.resolve("store-00000000000000cc.json");
        Path oldEmptyStore = answers.resolve("empty-store-00000000000000dd.json"); // the first builds' name
        for (Path f : List.of(oldContent, recentContent, oldEmptyStore)) {
            Files.writeString(f, "{}");
        }
        Files.setLastModifiedTime(oldContent, longAgo);
        Files.setLastModifiedTime(oldEmptyStore, longAgo);
        EarlyResponder.start(file, answers, InputStream.nullInputStream(), stdout).forgetStale();
        assertEquals(false, Files.exists(old));
        assertTrue(Files.exists(recent) && Files.exists(other) && Files.exists(file));
        assertEquals(false, Files.exists(oldContent));
        assertEquals(false, Files.exists(oldEmptyStore));
        assertTrue(Files.exists(recentContent));
    }

    @Test
    void theRuntimeDirectoryMustBePrivate() throws Exception {
        Path base = tmp.resolve("runtime");
        Files.createDirectories(base);
        Path dir = EarlyResponder.runtimeDirectory(Map.of("XDG_RUNTIME_DIR", base.toString()));
        assertEquals(base.resolve("wassette"), dir);
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertNull(EarlyResponder.runtimeDirectory(Map.of("XDG_RUNTIME_DIR", base.toString())), "others could read it");
        assertEquals(false, EarlyResponder.wanted(Map.of("WASSETTE_DAEMON_EARLY", "off")));
        assertEquals(true, EarlyResponder.wanted(Map.of()));
    }
}

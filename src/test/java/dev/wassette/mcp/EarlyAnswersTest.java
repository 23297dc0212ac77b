package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file of early answers as the daemon writes it, read back as the shim reads it (its fields), in this process. */
class EarlyAnswersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Path store;
    private ComponentHost host;
    private WassetteMcpServer server;
    private StreamTransport transport;

    @BeforeEach
    void start() {
        store = dir.resolve("components");
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.defaults().withDirectories(store, dir.resolve("secrets")));
        server = new WassetteMcpServer(host, true);
        transport = new StreamTransport(server, 1 << 20);
    }

    @AfterEach
    void stop() {
        server.close();
        host.close();
    }

    @Test
    void theAnswersForTheStoresContentAreTheServersAndAreWrittenAgainWhenUnusable() throws Exception {
        server.streams(transport);
        Path answers = Files.createDirectories(dir.resolve("answers"));
        Path forEmptyStore = StoreContent.answersFile(answers, List.of()); // this store is empty
        Files.writeString(forEmptyStore, "{\"format\":"); // cut short: as good as none
        EarlyAnswers early = new EarlyAnswers(dir.resolve("run-x.early.json"), server, transport.protocolVersions(), store, List.of(),
                null, answers);
        early.write();
        EarlyResponder.Recorded recorded = EarlyResponder.Recorded.loadForStoreContent(forEmptyStore);
        assertTrue(recorded != null, Files.readString(forEmptyStore));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(forEmptyStore)));
        assertEquals(JSON.valueToTree(new io.modelcontextprotocol.spec.McpSchema.ListToolsResult(server.listTools(), null)),
                JSON.readTree(recorded.tools));
        assertEquals(EarlyAnswers.toolsDigest(server), recorded.digest);
        assertEquals(JSON.valueToTree(server.initializeResult(transport.protocolVersions().getLast())),
                JSON.readTree(recorded.initializeResult(transport.protocolVersions().getLast())));
        // What the launcher's AOT training writes for an empty store: the built-in tools, the same answers.
        Path trained = Files.createDirectories(dir.resolve("trained"));
        EarlyAnswers.writeForEmptyStore(trained, server, transport.protocolVersions());
        assertEquals(JSON.readTree(forEmptyStore.toFile()), JSON.readTree(StoreContent.answersFile(trained, List.of()).toFile()));

        // A usable file is left as it is.
        java.nio.file.attribute.FileTime written = Files.getLastModifiedTime(forEmptyStore);
        Files.setLastModifiedTime(forEmptyStore, java.nio.file.attribute.FileTime.fromMillis(written.toMillis() - 60_000));
        early.write();
        assertEquals(written.toMillis() - 60_000, Files.getLastModifiedTime(forEmptyStore).toMillis());

        // Answers listing other tools for this content (a component that had failed to load) are written again.
        com.fasterxml.jackson.databind.node.ObjectNode other = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(forEmptyStore.toFile());
        other.put("toolsDigest", "other-tools");
        Files.write(forEmptyStore, JSON.writeValueAsBytes(other));
        early.write();
        assertEquals(EarlyAnswers.toolsDigest(server), EarlyResponder.Recorded.loadForStoreContent(forEmptyStore).digest);

        // A component loaded: the answers for the new content list its tools.
        server.register(host.load("types", Files.readAllBytes(Fixtures.path("types.wasm"))), false);
        early.write();
        List<String> content = StoreContent.of(store);
        assertEquals(1, content.size(), String.valueOf(content));
        EarlyResponder.Recorded withComponent = EarlyResponder.Recorded.loadForStoreContent(StoreContent.answersFile(answers, content));
        assertTrue(withComponent != null && new String(withComponent.tools, java.nio.charset.StandardCharsets.UTF_8).contains("wassette_fixtures_types_0_1_0_add"));
        assertEquals(EarlyAnswers.toolsDigest(server), withComponent.digest);
    }

    @Test
    void nothingIsWrittenBeforeTheServerIsBuiltAndThenItsAnswersAndTheStoresStamps() throws Exception {
        Path file = EarlyAnswers.besideSocket(dir.resolve("0123456789abcdef.sock"));
        assertEquals(dir.resolve("0123456789abcdef.early.json"), file);
        Path config = Files.writeString(dir.resolve("config.toml"), "call_timeout = \"30s\"\n");
        Path notYet = dir.resolve("env-not-written-yet");
        EarlyAnswers early = new EarlyAnswers(file, server, transport.protocolVersions(), store, List.of(config, notYet), null);
        early.write();
        assertTrue(Files.notExists(file), "no answers before there is a server to give them");

        server.streams(transport);
        Files.deleteIfExists(store); // a store not created yet: recorded as such
        early.write();
        JsonNode written = JSON.readTree(file.toFile());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(EarlyAnswers.FORMAT, written.path("format").asInt());
        List<String> versions = transport.protocolVersions();
        assertEquals(versions.getLast(), written.path("initialize").path("latest").asText());
        for (String version : versions) {
            JsonNode result = written.path("initialize").path("results").path(version);
            assertEquals(version, result.path("protocolVersion").asText());
            assertEquals(JSON.valueToTree(server.initializeResult(version)), result);
        }
        assertEquals(JSON.valueToTree(new io.modelcontextprotocol.spec.McpSchema.ListToolsResult(server.listTools(), null)), written.path("tools"));
        assertEquals(EarlyAnswers.toolsDigest(server), written.path("toolsDigest").asText());
        assertTrue(written.has("workingDirectory") && written.path("workingDirectory").isNull(), "no relative path: every directory");
        new EarlyAnswers(file, server, transport.protocolVersions(), store, List.of(config, notYet), dir).write();
        assertEquals(dir.toAbsolutePath().toString(), JSON.readTree(file.toFile()).path("workingDirectory").asText(), "else the one it resolved in");
        assertTrue(written.path("store").path("modified").isNull(), written::toString);
        assertTrue(written.path("store").path("files").isEmpty());
        JsonNode configuration = written.path("configuration");
        assertEquals(List.of(Files.size(config), nanos(config)),
                List.of(configuration.path(config.toString()).get(0).asLong(), configuration.path(config.toString()).get(1).asLong()));
        assertTrue(configuration.has(notYet.toString()) && configuration.get(notYet.toString()).isNull(), configuration::toString);

        Files.createDirectories(store);
        Path policy = Files.writeString(store.resolve("a.policy.yaml"), "version: \"1.0\"\n");
        early.write();
        JsonNode stamps = JSON.readTree(file.toFile()).path("store");
        assertEquals(store.toAbsolutePath().toString(), stamps.path("directory").asText());
        assertEquals(List.of(Files.size(policy), nanos(policy)),
                List.of(stamps.path("files").path("a.policy.yaml").get(0).asLong(), stamps.path("files").path("a.policy.yaml").get(1).asLong()));
        assertEquals(nanos(store), stamps.path("modified").asLong());
    }

    /** A file's modification time in nanoseconds since the epoch. */
    private static long nanos(Path file) throws java.io.IOException {
        return Files.getLastModifiedTime(file).to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    @Test
    void daemonsAnswersNoDaemonWroteForAWeekAreDeleted() throws Exception {
        Path old = Files.writeString(dir.resolve("0000000000000001.early.json"), "{}");
        Path recent = Files.writeString(dir.resolve("0000000000000002.early.json"), "{}");
        Path runs = Files.writeString(dir.resolve("run-0000000000000003.early.json"), "{}"); // run's to clear
        Path own = Files.writeString(dir.resolve("0000000000000004.early.json"), "{}");
        java.nio.file.attribute.FileTime longAgo = java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(EarlyAnswers.KEPT).minusSeconds(60));
        for (Path f : List.of(old, runs, own)) {
            Files.setLastModifiedTime(f, longAgo);
        }
        EarlyAnswers.forgetStale(dir, EarlyAnswers.DAEMON_FILES, java.util.Set.of(own));
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(recent) && Files.exists(runs) && Files.exists(own));
    }

    @Test
    void aFlushWritesWhatARefreshLeftWaitingAndOnlyOnce() throws Exception {
        server.streams(transport);
        Path file = dir.resolve("k.early.json");
        EarlyAnswers early = new EarlyAnswers(file, server, transport.protocolVersions(), dir.resolve("components"), List.of(), null);
        early.refresh();
        early.refresh(); // shares the write that waits
        early.flush();
        assertTrue(Files.exists(file), "what waits is written at once as the process ends");
        Files.delete(file);
        early.flush();
        assertFalse(Files.exists(file), "nothing waits any more: the refresh's own write was the flush");
        Thread.sleep(EarlyAnswers.REFRESH_DELAY.toMillis() * 3);
        assertFalse(Files.exists(file), "the waiting write found nothing left to write");
    }

    @Test
    void theDigestOfTheToolsIsTheSameForTheSameToolsInAnotherOrderAndDiffersForOthers() throws Exception {
        server.streams(transport);
        String builtinsOnly = EarlyAnswers.toolsDigest(server);
        try (ComponentHost otherHost = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.defaults().withDirectories(
                dir.resolve("other-components"), dir.resolve("other-secrets")));
             WassetteMcpServer other = new WassetteMcpServer(otherHost, true)) {
            other.streams(new StreamTransport(other, 1 << 20));
            // One loads types then io, the other io then types: each lists them in the order they came.
            for (String id : List.of("types", "io")) {
                server.register(host.load(id, Files.readAllBytes(Fixtures.path(id + ".wasm"))), false);
            }
            for (String id : List.of("io", "types")) {
                other.register(otherHost.load(id, Files.readAllBytes(Fixtures.path(id + ".wasm"))), false);
            }
            List<String> names = server.listTools().stream().map(io.modelcontextprotocol.spec.McpSchema.Tool::name).toList();
            List<String> otherNames = other.listTools().stream().map(io.modelcontextprotocol.spec.McpSchema.Tool::name).toList();
            assertNotEquals(names, otherNames, "the same tools, listed in another order");
            assertEquals(new java.util.HashSet<>(names), new java.util.HashSet<>(otherNames));
            assertEquals(EarlyAnswers.toolsDigest(server), EarlyAnswers.toolsDigest(other));
            assertNotEquals(builtinsOnly, EarlyAnswers.toolsDigest(server), "other tools, another digest");
        }
    }
}

package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.Fixtures;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-user daemon as MCP clients meet it: the real {@code wassette-shim} started once per
 * session, the daemon it starts (a JVM of its own), raw JSON-RPC on the shim's stdin and stdout.
 * Every wait is for an event, with a bound.
 */
class DaemonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOUND = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private Path runtime;
    private final String identity = "test-" + UUID.randomUUID();
    private final List<Session> sessions = new ArrayList<>();

    @BeforeEach
    void privateRuntimeDirectory() throws IOException {
        runtime = Files.createDirectory(dir.resolve("rt"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (Session s : sessions) {
            s.process.destroyForcibly();
            s.process.waitFor(10, TimeUnit.SECONDS);
        }
        daemons().forEach(ProcessHandle::destroyForcibly);
        await("the daemons to stop", () -> daemons().findAny().isEmpty());
    }

    @Test
    void sessionsShareOneDaemonAndEachSeesItsOwnEnvironmentDirectoryAndLog() throws Exception {
        Session a = session(Fixtures.dir(), Map.of("API_KEY", "alpha"));
        Session b = session(dir, Map.of("API_KEY", "beta"));
        a.initialize();
        b.initialize();

        // A relative path is the client's: A runs in the fixtures directory.
        JsonNode loaded = a.call("load-component", Map.of("path", "io.wasm"));
        assertFalse(loaded.path("isError").asBoolean(), loaded::toString);
        b.awaitNotification("notifications/tools/list_changed"); // B shares the tool list
        JsonNode granted = a.call("grant-environment-variable-permission", Map.of("component_id", "io", "details", Map.of("key", "API_KEY")));
        assertFalse(granted.path("isError").asBoolean(), granted::toString);

        String getEnv = b.toolEndingWith("get-env");
        assertEquals("alpha", a.call(getEnv, Map.of("key", "API_KEY")).path("structuredContent").path("result").asText());
        assertEquals("beta", b.call(getEnv, Map.of("key", "API_KEY")).path("structuredContent").path("result").asText());

        assertEquals(1, daemons().count(), "one daemon serves both sessions");
        try (Stream<Path> files = Files.list(runtime.resolve("wassette"))) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".sock")).count());
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(runtime.resolve("wassette"))));
        try (Stream<Path> files = Files.list(runtime.resolve("wassette"))) {
            for (Path socket : files.filter(f -> f.toString().endsWith(".sock")).toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            }
        }

        // Each session's own invocation log reaches its client's stderr, and only its own.
        await("A's invocation log line on its stderr", () -> a.stderr().contains("tool=" + getEnv));
        await("B's invocation log line on its stderr", () -> b.stderr().contains("tool=" + getEnv));
        assertEquals(1, a.stderr().lines().filter(l -> l.contains("tool=" + getEnv)).count(), a::stderr);
        assertEquals(1, b.stderr().lines().filter(l -> l.contains("tool=" + getEnv)).count(), b::stderr);
        assertFalse(b.stderr().contains("tool=load-component"), b::stderr);

        // A session that ends leaves the other served.
        a.endInput();
        assertTrue(a.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "A's shim exits when its input ends");
        assertEquals(0, a.process.exitValue(), a::stderr);
        assertTrue(b.request("tools/list", Map.of()).path("result").path("tools").size() > 11);
    }

    @Test
    void theDaemonServesTheMetricsOfAllItsSessionsAndTellsEachWhere() throws Exception {
        Session a = session(dir, Map.of(), List.of(), "--config", dir.resolve("no-config.toml").toString(), "--metrics-address", "127.0.0.1:0");
        Session b = session(dir, Map.of(), List.of(), "--config", dir.resolve("no-config.toml").toString(), "--metrics-address", "127.0.0.1:0");
        a.initialize();
        b.initialize();
        assertFalse(a.call("load-component", Map.of("path", Fixtures.path("types.wasm").toString())).path("isError").asBoolean());
        String add = "wassette_fixtures_types_0_1_0_add";
        assertEquals(3, a.call(add, Map.of("a", 1, "b", 2)).path("structuredContent").path("result").asInt());
        assertEquals(7, b.call(add, Map.of("a", 3, "b", 4)).path("structuredContent").path("result").asInt());

        // Each session is told where, on its stderr, before its first answer; both are told the same address.
        java.util.regex.Pattern where = java.util.regex.Pattern.compile("metrics on (http://[^/\\s]+)/metrics");
        java.util.regex.Matcher ma = where.matcher(a.stderr());
        java.util.regex.Matcher mb = where.matcher(b.stderr());
        assertTrue(ma.find(), a::stderr);
        assertTrue(mb.find(), b::stderr);
        assertEquals(ma.group(1), mb.group(1));
        java.net.http.HttpResponse<String> scraped = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(ma.group(1) + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scraped.statusCode());
        assertEquals(2.0, dev.wassette.mcp.PrometheusText.parse(scraped.body()).get(new dev.wassette.mcp.PrometheusText.Series(
                "mcp_server_operation_duration_seconds_count", Map.of("mcp_method_name", "tools/call", "gen_ai_tool_name", add))), scraped::body);
        assertEquals(1, daemons().count(), "one daemon serves both sessions and their metrics");
    }

    @Test
    void eachSessionGetsItsLogLinesInTheFormatItAskedFor() throws Exception {
        Session json = session(dir, Map.of(), List.of(), "--config", dir.resolve("no-config.toml").toString(), "--log-format", "json");
        Session text = session(dir, Map.of(), List.of(), "--config", dir.resolve("no-config.toml").toString());
        json.initialize();
        text.initialize();
        assertFalse(json.call("list-components", Map.of()).path("isError").asBoolean());
        assertFalse(text.call("list-components", Map.of()).path("isError").asBoolean());
        await("the JSON session's invocation line", () -> json.stderr().contains("\"tool\":\"list-components\""), json::stderr);
        await("the text session's invocation line", () -> text.stderr().contains("tool=list-components"), text::stderr);
        for (String line : json.stderr().lines().toList()) {
            assertTrue(JSON.readTree(line).has("message"), line); // every line one JSON object
        }
        assertFalse(text.stderr().lines().anyMatch(l -> l.startsWith("{")), text::stderr);
        assertEquals(1, daemons().count(), "one daemon, two formats");
    }

    @Test
    void theDaemonStopsAfterItsIdleTime() throws Exception {
        Session a = session(dir, Map.of("WASSETTE_DAEMON_IDLE", "1s"));
        a.initialize();
        assertEquals(1, daemons().count());
        // Answers another daemon (another build) wrote over a week ago: cleared as this one stops.
        Path stale = Files.writeString(runtime.resolve("wassette").resolve("00000000000000aa.early.json"), "{}");
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(dev.wassette.mcp.EarlyAnswers.KEPT).minusSeconds(60)));
        a.endInput();
        assertTrue(a.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        await("the idle daemon to exit", () -> daemons().findAny().isEmpty());
        try (Stream<Path> files = Files.list(runtime.resolve("wassette"))) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".sock")), "it removed its socket");
        }
        assertFalse(Files.exists(stale), "the stale answers of another daemon");
        assertTrue(earlyFile(runtime.resolve("wassette")).contains("\"toolsDigest\""), "its own answers, kept");
        // The next session starts a new one (and meanwhile gets its first answers from the shim).
        Session b = session(dir, Map.of());
        b.initialize();
        await("a new daemon", () -> daemons().count() == 1);
        assertTrue(b.request("tools/list", Map.of()).path("result").path("tools").size() >= 11);
    }

    @Test
    void aSessionThatFindsNoDaemonIsAnsweredFromTheLastOnesAnswersUntilANewOneTakesOverAndIsToldOfChanges() throws Exception {
        Path storeA = Files.createDirectory(dir.resolve("store-a"));
        Path storeB = Files.createDirectory(dir.resolve("store-b"));
        Path config = dir.resolve("config.toml");
        Files.writeString(config, "component_dir = \"" + storeA + "\"\n");
        Path early = runtime.resolve("wassette");

        // A first daemon: a component loaded into store A; the daemon records its answers beside its socket.
        Session first = session(storeCommandFromConfig(config), dir, Map.of());
        JsonNode initialized = first.initialize();
        String add = loadTypesAndCallAdd(first);
        JsonNode listed = first.request("tools/list", Map.of()).path("result");
        await("the daemon's answers with the tools listed", () -> listed.path("tools").equals(recordedTools(early)));
        stopDaemonsAfter(first);

        // No daemon runs: the shim answers the opening from that file, exactly as the daemon did,
        // and the daemon it started meanwhile takes the session over (here relayed) for the call.
        Session relayed;
        try (var held = dev.wassette.DaemonStartLock.hold(early)) {
            relayed = session(storeCommandFromConfig(config), dir, Map.of("WASSETTE_DAEMON_RELAY", "1"));
            assertEquals(initialized.path("result"), relayed.initialize().path("result"));
            assertEquals(listed, relayed.request("tools/list", Map.of()).path("result"));
        }
        assertEquals(5, relayed.call(add, Map.of("a", 2, "b", 3)).path("structuredContent").path("result").asInt());
        assertEquals(1, daemonLog().lines().filter(l -> l.contains("(relayed by the shim; the shim answered 3 of its requests first)")).count(),
                this::daemonLog);
        await("the answers of store A's second daemon", () -> earlyFile(early).contains(add));
        stopDaemonsAfter(relayed);

        // The configuration changed (it names store B, empty) since the last daemon read it: the shim
        // does not answer from that daemon's answers; the new daemon does.
        Files.writeString(config, "component_dir = \"" + storeB + "\"\n");
        Session moved = session(storeCommandFromConfig(config), dir, Map.of());
        moved.initialize();
        assertFalse(moved.toolNames().contains(add), "store B's tools, from its daemon");
        await("store B's daemon's answers", () -> earlyFile(early).contains(storeB.toString()));
        stopDaemonsAfter(moved);
        assertEquals(1, daemonLog().lines().filter(l -> l.contains("the shim answered")).count(), this::daemonLog);

        // Answers that list a tool the next daemon will not have (as when a component fails to load
        // this time): the shim lists it, and the new daemon says the list changed once the client is
        // initialized.
        Path earlyPath;
        try (Stream<Path> files = Files.list(early)) {
            earlyPath = files.filter(f -> f.toString().endsWith(".early.json")).findFirst().orElseThrow();
        }
        ObjectNode answers = (ObjectNode) JSON.readTree(earlyPath.toFile());
        ((com.fasterxml.jackson.databind.node.ArrayNode) answers.path("tools").path("tools"))
                .add(JSON.createObjectNode().put("name", "gone-by-now").set("inputSchema", JSON.createObjectNode().put("type", "object")));
        answers.put("toolsDigest", "0".repeat(64));
        Files.write(earlyPath, JSON.writeValueAsBytes(answers));
        Session corrected;
        try (var held = dev.wassette.DaemonStartLock.hold(early)) {
            corrected = session(storeCommandFromConfig(config), dir, Map.of());
            corrected.initialize();
            assertTrue(corrected.toolNames().contains("gone-by-now"), "listed from the recorded answers");
        }
        corrected.awaitNotification("notifications/tools/list_changed");
        assertFalse(corrected.toolNames().contains("gone-by-now"), "the daemon's own list");
        stopDaemonsAfter(corrected);

        // A store changed since its daemon last looked: the shim does not answer; the daemon does.
        Files.writeString(storeB.resolve("notes.txt"), "changed while no daemon ran\n");
        Session changed = session(storeCommandFromConfig(config), dir, Map.of());
        changed.initialize();
        await("the fifth daemon's session", () -> daemonLog().lines().filter(l -> l.contains("daemon: session 1 opened")).count() == 5);
        assertEquals(2, daemonLog().lines().filter(l -> l.contains("the shim answered")).count(), this::daemonLog);
    }

    @Test
    void aSessionWhoseOpeningWasAnsweredEndsWithAnErrorIfTheDaemonCannotStart() throws Exception {
        Session first = session(dir, Map.of());
        first.initialize();
        await("the daemon's answers", () -> earlyFile(runtime.resolve("wassette")).contains("wassette-java"));
        stopDaemonsAfter(first);
        // Same key, a JVM that refuses to start: the opening is answered, then nobody can take the session.
        Session doomed;
        try (var held = dev.wassette.DaemonStartLock.hold(runtime.resolve("wassette"))) {
            doomed = session(dir, Map.of(), List.of("-XX:+NoSuchOption"));
            doomed.initialize();
        }
        assertTrue(doomed.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the shim gives up when the daemon exits");
        assertEquals(1, doomed.process.exitValue(), doomed::stderr);
        assertTrue(doomed.stderr().contains("the daemon exited before accepting"), doomed::stderr);
        assertTrue(doomed.stderr().contains("this session's first requests were answered while the daemon started, so no other server can take it over"),
                doomed::stderr);
    }

    /** A session's shim command whose store is the one {@code config} names (no --component-dir). */
    private List<String> storeCommandFromConfig(Path config) {
        List<String> command = new ArrayList<>(shimCommand(List.of(), "--config", config.toString()));
        int option = command.indexOf("--component-dir");
        command.subList(option, option + 2).clear();
        return command;
    }

    /** The tools in the early answers file of this test's daemon key (missing while there is none). */
    private static JsonNode recordedTools(Path runtimeDirectory) {
        String text = earlyFile(runtimeDirectory);
        try {
            return text.isEmpty() ? JSON.missingNode() : JSON.readTree(text).path("tools").path("tools");
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    /** The early answers file of this test's daemon key ("" while there is none). */
    private static String earlyFile(Path runtimeDirectory) {
        try (Stream<Path> files = Files.list(runtimeDirectory)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".early.json")).toList()) {
                return Files.readString(f);
            }
            return "";
        } catch (IOException e) {
            return ""; // written again meanwhile
        }
    }

    /** Ends the session, then stops its daemon and waits until no daemon of this test runs. */
    private void stopDaemonsAfter(Session s) throws Exception {
        s.endInput();
        assertTrue(s.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        daemons().forEach(ProcessHandle::destroy);
        await("the daemons to stop", () -> daemons().findAny().isEmpty());
    }

    @Test
    void answersRecordedForARelativeStoreAreGivenOnlyInTheDirectoryItWasResolvedIn() throws Exception {
        Path workspaceA = Files.createDirectories(dir.resolve("workspace-a"));
        Path workspaceB = Files.createDirectories(dir.resolve("workspace-b"));
        Path config = Files.writeString(dir.resolve("config.toml"), "component_dir = \"components\"\n"); // each workspace's own store
        Path early = runtime.resolve("wassette");
        Session first = session(storeCommandFromConfig(config), workspaceA, Map.of());
        first.initialize();
        await("workspace A's answers", () -> earlyFile(early).contains(workspaceA.resolve("components").toString()));
        stopDaemonsAfter(first);

        // The same command in another workspace is another store: not answered from A's recording.
        Session elsewhere = session(storeCommandFromConfig(config), workspaceB, Map.of());
        elsewhere.initialize();
        await("workspace B's answers", () -> earlyFile(early).contains(workspaceB.resolve("components").toString()));
        stopDaemonsAfter(elsewhere);
        assertEquals(0, daemonLog().lines().filter(l -> l.contains("the shim answered")).count(), this::daemonLog);

        // In its own workspace it is.
        Session again;
        try (var held = dev.wassette.DaemonStartLock.hold(early)) {
            again = session(storeCommandFromConfig(config), workspaceB, Map.of());
            again.initialize();
        }
        stopDaemonsAfter(again);
        assertEquals(1, daemonLog().lines().filter(l -> l.contains("the shim answered")).count(), this::daemonLog);
    }

    @Test
    void aChangedConfigurationRetiresTheDaemonAndItsSessionsGoOn() throws Exception {
        Path config = dir.resolve("config.toml");
        Files.writeString(config, "call_timeout = \"30s\"\n");
        Session a = session(dir, Map.of(), "--config", config.toString());
        a.initialize();
        long first = daemons().findFirst().orElseThrow().pid();

        Files.writeString(config, "call_timeout = \"20s\"\n");
        Session b = session(dir, Map.of(), "--config", config.toString());
        b.initialize(); // served by a new daemon started for the new configuration
        assertEquals(2, daemons().count());
        assertTrue(a.request("tools/list", Map.of()).path("result").path("tools").size() >= 11, "the old daemon still serves A");

        a.endInput();
        assertTrue(a.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        await("the retired daemon to exit after its last session", () -> daemons().noneMatch(p -> p.pid() == first));
        assertTrue(b.request("tools/list", Map.of()).path("result").path("tools").size() >= 11);
    }

    @Test
    void aChangedManifestGetsADaemonProvisionedFromItAndAFailingOneIsRefused() throws Exception {
        Files.copy(Fixtures.path("types.wasm"), dir.resolve("types.wasm"));
        Files.copy(Fixtures.path("io.wasm"), dir.resolve("io.wasm"));
        Path manifest = Files.writeString(dir.resolve("manifest.yaml"), "components:\n  - uri: types.wasm\n");
        String[] args = {"--config", dir.resolve("no-config.toml").toString(), "--manifest", manifest.toString(), "--disable-builtin-tools"};
        Session a = session(dir, Map.of(), args);
        a.initialize();
        assertEquals(List.of("wassette_fixtures_types_0_1_0_add"), a.toolNames().stream().filter(n -> n.endsWith("_add")).toList());
        long first = daemons().findFirst().orElseThrow().pid();

        // The same arguments, another manifest content: the daemon retires, a new one provisions the new manifest.
        Files.writeString(manifest, "components:\n  - uri: types.wasm\n  - uri: io.wasm\n");
        Session b = session(dir, Map.of(), args);
        b.initialize();
        assertTrue(b.toolNames().contains("wassette_fixtures_files_0_1_0_read-file"), b.toolNames()::toString);
        assertEquals(2, daemons().count());
        assertFalse(a.toolNames().contains("wassette_fixtures_files_0_1_0_read-file"), "the old daemon is pinned to its manifest");

        // A manifest whose entry cannot be loaded: the session is refused with the entry named, as `run` would.
        Files.writeString(manifest, "components:\n  - uri: types.wasm\n    digest: sha256:" + "0".repeat(64) + "\n");
        Session c = session(dir, Map.of(), args);
        assertTrue(c.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the shim ends the refused session");
        assertEquals(3, c.process.exitValue(), c::stderr);
        assertTrue(c.stderr().contains("error: " + manifest + ":2: component \"types\" (entry 1, types.wasm): digest mismatch"), c::stderr);
        assertTrue(daemons().anyMatch(p -> p.pid() == first), "sessions of the old daemons go on");
    }

    @Test
    void aRuntimeDirectoryOthersCanOpenIsNotUsed() throws Exception {
        Files.createDirectory(runtime.resolve("wassette"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Session a = session(dir, Map.of());
        a.initialize(); // served all the same, by the shim's own process
        assertEquals(0, daemons().count());
        assertTrue(a.stderr().contains("is not a private directory of this user"), a::stderr);
    }

    @Test
    void aDaemonThatDiesEndsItsSessionsWithAnError() throws Exception {
        Session a = session(dir, Map.of());
        a.initialize();
        daemons().forEach(ProcessHandle::destroyForcibly);
        assertTrue(a.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the shim exits when its daemon is gone");
        assertEquals(1, a.process.exitValue());
        assertTrue(a.stderr().contains("the daemon ended the session"), a::stderr);
    }

    @Test
    void theDaemonServesTheSessionOnTheClientsOwnStdioAndClosesItAtTheEnd() throws Exception {
        Session a = session(dir, Map.of());
        a.initialize();
        long daemon = daemons().findFirst().orElseThrow().pid();
        assertTrue(daemonLog().contains("daemon: session 1 opened in " + dir + " (its stdio passed to the daemon)"), this::daemonLog);
        // The daemon holds the very pipes the client writes requests to and reads answers from.
        String stdin = target(a.process.pid(), 0);
        String stdout = target(a.process.pid(), 1);
        assertTrue(stdin.startsWith("pipe:") && stdout.startsWith("pipe:"), stdin + " " + stdout);
        assertTrue(descriptorsOf(daemon).containsValue(stdin), "the daemon reads the client's stdin itself");
        assertTrue(descriptorsOf(daemon).containsValue(stdout), "the daemon writes the client's stdout itself");
        String add = loadTypesAndCallAdd(a);
        await("the invocation log line on the session's own stderr", () -> a.stderr().contains("tool=" + add));

        a.endInput();
        assertTrue(a.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the shim exits when the daemon ends the session");
        assertEquals(0, a.process.exitValue(), a::stderr);
        assertFalse(descriptorsOf(daemon).containsValue(stdin), "the daemon closed its copy of the client's stdin");
        assertFalse(descriptorsOf(daemon).containsValue(stdout), "and of its stdout");
    }

    @Test
    void theRelayStillServesASessionWhenAsked() throws Exception {
        Session passed = session(dir, Map.of());
        passed.initialize();
        // WASSETTE_DAEMON* variables are not part of the daemon's key: the same daemon serves it.
        Session relayed = session(dir, Map.of("WASSETTE_DAEMON_RELAY", "1"));
        relayed.initialize();
        assertEquals(1, daemons().count());
        long daemon = daemons().findFirst().orElseThrow().pid();
        assertTrue(daemonLog().contains("daemon: session 2 opened in " + dir + " (relayed by the shim)"), this::daemonLog);
        assertFalse(descriptorsOf(daemon).containsValue(target(relayed.process.pid(), 0)), "the shim reads stdin, not the daemon");

        String add = loadTypesAndCallAdd(relayed);
        await("the invocation log line, in a frame, on the relayed session's stderr", () -> relayed.stderr().contains("tool=" + add));
        passed.awaitNotification("notifications/tools/list_changed");
        assertEquals(42, passed.call(add, Map.of("a", 40, "b", 2)).path("structuredContent").path("result").asInt());

        relayed.endInput();
        assertTrue(relayed.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, relayed.process.exitValue(), relayed::stderr);
    }

    @Test
    void aDaemonThatDiesEndsPassedAndRelayedSessionsWithAnError() throws Exception {
        Session passed = session(dir, Map.of());
        passed.initialize();
        Session relayed = session(dir, Map.of("WASSETTE_DAEMON_RELAY", "1"));
        relayed.initialize();
        assertTrue(daemonLog().contains("(its stdio passed to the daemon)") && daemonLog().contains("(relayed by the shim)"), this::daemonLog);
        daemons().forEach(ProcessHandle::destroyForcibly);
        for (Session s : List.of(passed, relayed)) {
            assertTrue(s.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the shim exits when its daemon is gone");
            assertEquals(1, s.process.exitValue(), s::stderr);
            assertTrue(s.stderr().contains("wassette: the daemon ended the session (it stopped or was killed)"), s::stderr);
        }
    }

    @Test
    void theDaemonLeavesNoDescriptorOpenAfterItsSessionsHowEverTheyEnd() throws Exception {
        // One session first: the daemon's own descriptors (its jars, the engine, the store) are open after it.
        Session first = session(dir, Map.of());
        first.initialize();
        first.toolNames();
        long daemon = daemons().findFirst().orElseThrow().pid();
        first.endInput();
        assertTrue(first.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        await("the first session to end in the daemon", () -> daemonLog().contains("daemon: session 1 ended"));
        Map<Integer, String> before = descriptorsOf(daemon);

        int sessionsRun = 1;
        for (int i = 0; i < 12; i++, sessionsRun++) {
            Session s = session(dir, i % 4 == 3 ? Map.of("WASSETTE_DAEMON_RELAY", "1") : Map.of());
            s.initialize();
            assertTrue(s.toolNames().size() >= 11);
            if (i % 6 == 5) {
                s.process.destroyForcibly(); // the client kills its server: the daemon sees its shim go
            } else {
                s.endInput();
            }
            assertTrue(s.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        }
        int ended = sessionsRun;
        await(ended + " sessions to end in the daemon", () -> daemonLog().lines().filter(l -> l.contains("daemon: session ")
                && l.endsWith(" ended")).count() == ended);
        await("the daemon's descriptors to be those it had before the sessions (" + before.size() + ")",
                () -> descriptorsOf(daemon).size() <= before.size(),
                () -> "before: " + before + "\nnow: " + descriptorsOf(daemon));
    }

    /** Loads types.wasm into the session's daemon and calls its add; returns the tool's name. */
    private static String loadTypesAndCallAdd(Session s) throws Exception {
        JsonNode loaded = s.call("load-component", Map.of("path", Fixtures.path("types.wasm").toAbsolutePath().toString()));
        assertFalse(loaded.path("isError").asBoolean(), loaded::toString);
        String add = s.toolEndingWith("_add");
        assertEquals(42, s.call(add, Map.of("a", 40, "b", 2)).path("structuredContent").path("result").asInt());
        return add;
    }

    /** The log of this test's daemons (all of one key share it). */
    private String daemonLog() {
        try (Stream<Path> files = Files.list(runtime.resolve("wassette"))) {
            StringBuilder text = new StringBuilder();
            for (Path log : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                text.append(Files.readString(log));
            }
            return text.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** What descriptor {@code fd} of process {@code pid} refers to ({@code pipe:[inode]}, a path, …). */
    private static String target(long pid, int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "fd", String.valueOf(fd))).toString();
    }

    /** The open descriptors of process {@code pid} and what each refers to. */
    private static Map<Integer, String> descriptorsOf(long pid) {
        Map<Integer, String> open = new java.util.TreeMap<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    open.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
                } catch (IOException closedMeanwhile) {
                    // closed between the listing and the look
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return open;
    }

    @Test
    void aClientThatLeftStdoutClosedGetsDevNullNotTheDaemonsSocket() throws Exception {
        Session started = session(dir, Map.of()); // a daemon to connect to
        started.initialize();
        List<String> command = new ArrayList<>(List.of("sh", "-c", "exec 1>&- \"$@\"", "sh"));
        command.addAll(shimCommand(List.of()));
        // Closed, descriptor 1 would be the next one opened: the shim's connection, passed as "stdout".
        Session closed = session(command, dir, Map.of());
        closed.send(JSON.readTree("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"));
        closed.endInput();
        assertTrue(closed.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(0, closed.process.exitValue(), closed::stderr);
        assertTrue(closed.stderr().contains("served by the per-user daemon"), closed::stderr);
        await("the session to end in the daemon", () -> daemonLog().contains("daemon: session 2 ended"));
        assertTrue(daemonLog().contains("daemon: session 2 opened in " + dir + " (its stdio passed to the daemon)"), this::daemonLog);
    }

    @Test
    void aDaemonThatCannotStartIsReportedAtOnce() throws Exception {
        // A JVM option the JVM refuses: the daemon exits at once (and so does the fallback).
        Session a = session(dir, Map.of(), List.of("-XX:+NoSuchOption"));
        assertTrue(a.process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS), "the shim gives up without waiting for a start timeout");
        assertTrue(a.stderr().contains("the daemon exited before accepting"), a::stderr);
        assertTrue(a.stderr().contains("running the server in this process instead"), a::stderr);
        assertEquals(0, daemons().count());
    }

    /** Daemon processes of this test (their socket is under its runtime directory). */
    private Stream<ProcessHandle> daemons() {
        String prefix = runtime.toString();
        return ProcessHandle.allProcesses().filter(p -> {
            List<String> args = dev.wassette.Processes.arguments(p);
            return args.contains("daemon") && args.stream().anyMatch(a -> a.startsWith(prefix)) && p.isAlive();
        });
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, condition, () -> "");
    }

    private static void await(String what, BooleanSupplier condition, java.util.function.Supplier<String> details) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + BOUND.toSeconds() + " s waiting for " + what + "\n" + details.get());
            }
            Thread.sleep(20);
        }
    }

    private Session session(Path cwd, Map<String, String> env, String... extraArgs) throws IOException {
        return session(cwd, env, List.of(), extraArgs);
    }

    private Session session(Path cwd, Map<String, String> env, List<String> jvmOptions, String... extraArgs) throws IOException {
        return session(shimCommand(jvmOptions, extraArgs), cwd, env);
    }

    /** The shim's command line for a session of this test's daemon (its runtime directory, store and identity). */
    private List<String> shimCommand(List<String> jvmOptions, String... extraArgs) {
        String shim = System.getProperty("wassette.shim");
        assertTrue(shim != null && Files.isExecutable(Path.of(shim)), "system property wassette.shim names the built shim: " + shim);
        List<String> command = new ArrayList<>(List.of(shim, identity,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli", "--",
                "--component-dir", dir.resolve("components").toString(), "--secrets-dir", dir.resolve("secrets").toString()));
        if (extraArgs.length == 0) {
            command.addAll(List.of("--config", dir.resolve("no-config.toml").toString()));
        }
        command.addAll(List.of(extraArgs));
        return command;
    }

    private Session session(List<String> command, Path cwd, Map<String, String> env) throws IOException {
        Path stderr = dir.resolve("stderr-" + sessions.size() + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile()).redirectError(stderr.toFile());
        Map<String, String> environment = new HashMap<>(env);
        environment.put("XDG_RUNTIME_DIR", runtime.toString());
        environment.putIfAbsent("WASSETTE_DAEMON_IDLE", "10m");
        pb.environment().putAll(environment);
        Session s = new Session(pb.start(), stderr);
        sessions.add(s);
        return s;
    }

    /** One MCP client session on a shim's stdin/stdout. */
    private static final class Session {
        final Process process;
        final Path stderrFile;
        private final OutputStream in;
        private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        private final List<JsonNode> notifications = new ArrayList<>();
        private int nextId;

        Session(Process process, Path stderrFile) {
            this.process = process;
            this.stderrFile = stderrFile;
            this.in = process.getOutputStream();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        messages.add(JSON.readTree(line)); // stdout carries only JSON-RPC, or this throws
                    }
                } catch (IOException e) {
                    messages.add(JSON.createObjectNode().put("stdout-failed", e.toString()));
                }
            });
        }

        String stderr() {
            try {
                return Files.readString(stderrFile);
            } catch (IOException e) {
                return e.toString();
            }
        }

        void send(JsonNode message) throws IOException {
            in.write((message.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        void endInput() throws IOException {
            in.close();
        }

        JsonNode request(String method, Object params) throws Exception {
            int id = ++nextId;
            ObjectNode request = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
            request.set("params", JSON.valueToTree(params));
            send(request);
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (true) {
                JsonNode m = messages.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (m == null) {
                    throw new AssertionError("no answer to " + method + " within " + BOUND.toSeconds() + " s; stderr:\n" + stderr());
                }
                if (m.has("stdout-failed")) {
                    throw new AssertionError(m + "; stderr:\n" + stderr());
                }
                if (m.path("id").asInt(-1) == id) {
                    return m;
                }
                notifications.add(m);
            }
        }

        /** Opens the session; returns the answer to its initialize. */
        JsonNode initialize() throws Exception {
            JsonNode init = request("initialize", Map.of("protocolVersion", "2025-06-18", "capabilities", Map.of(),
                    "clientInfo", Map.of("name", "daemon-test", "version", "1")));
            assertEquals("wassette-java", init.path("result").path("serverInfo").path("name").asText(), () -> init + "\n" + stderr());
            send(JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/initialized"));
            // Answered after the notification is handled (one reader per session, in order): from
            // here on the session receives notifications.
            assertTrue(request("ping", Map.of()).has("result"));
            return init;
        }

        JsonNode call(String tool, Object arguments) throws Exception {
            JsonNode response = request("tools/call", Map.of("name", tool, "arguments", arguments));
            assertTrue(response.has("result"), response::toString);
            return response.get("result");
        }

        List<String> toolNames() throws Exception {
            List<String> names = new ArrayList<>();
            request("tools/list", Map.of()).path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
            return names;
        }

        String toolEndingWith(String suffix) throws Exception {
            for (JsonNode t : request("tools/list", Map.of()).path("result").path("tools")) {
                if (t.path("name").asText().endsWith(suffix)) {
                    return t.path("name").asText();
                }
            }
            throw new AssertionError("no tool ending with " + suffix);
        }

        void awaitNotification(String method) throws Exception {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (notifications.stream().noneMatch(n -> method.equals(n.path("method").asText()))) {
                JsonNode m = messages.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (m == null) {
                    throw new AssertionError("no " + method + " within " + BOUND.toSeconds() + " s; stderr:\n" + stderr());
                }
                notifications.add(m);
            }
        }
    }
}

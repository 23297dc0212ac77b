package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.runtime.EgressCheck;
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

    private Val call(String fn, Grants grants, Val... args) {
        ExportedFunction f = sandbox.component().export(FILES + fn);
        return sandbox.call(f, List.of(args), grants, EgressCheck.DENY_ALL, Duration.ofSeconds(10));
    }

    private static Grants grants(List<Grants.Preopen> preopens, Map<String, String> env) {
        return new Grants(preopens, env, -1, -1, false, List.of());
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
        Grants g = grants(List.of(new Grants.Preopen(data, "data", false)), Map.of());
        assertEquals("hi there", ok(call("read-file", g, new Val.Str("data/hello.txt"))));
        assertEquals(new Val.ResultVal(true, new Val.ListVal(List.of(new Val.Str("hello.txt")))), call("list-dir", g, new Val.Str("data")));
        // Everything outside the preopen is unreachable: absolute paths, "..", and host paths.
        for (String path : List.of("/etc/passwd", "data/../outside.txt", "../outside.txt", tmp.resolve("outside.txt").toString(), "outside.txt")) {
            String e = err(call("read-file", g, new Val.Str(path)));
            assertFalse(e.contains("secret"), e);
        }
        // With no grant at all, nothing is readable.
        err(call("read-file", Grants.none(), new Val.Str("data/hello.txt")));
    }

    @Test
    void readOnlyPreopenRefusesWrites() throws Exception {
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Path rw = Files.createDirectories(tmp.resolve("rw"));
        Grants g = grants(List.of(new Grants.Preopen(ro, "ro", false), new Grants.Preopen(rw, "rw", true)), Map.of());
        String e = err(call("write-file", g, new Val.Str("ro/new.txt"), new Val.Str("x")));
        assertTrue(e.contains("ro/new.txt"), e);
        assertFalse(Files.exists(ro.resolve("new.txt")));
        ok(call("write-file", g, new Val.Str("rw/new.txt"), new Val.Str("written by the guest")));
        assertEquals("written by the guest", Files.readString(rw.resolve("new.txt")));
    }

    @Test
    void onlyGivenEnvironmentVariablesExist() {
        Grants g = grants(List.of(), Map.of("API_KEY", "k-123"));
        assertEquals(new Val.OptionVal(new Val.Str("k-123")), call("get-env", g, new Val.Str("API_KEY")));
        for (String unlisted : List.of("PATH", "HOME", "USER", "JAVA_HOME")) {
            assertEquals(Val.OptionVal.NONE, call("get-env", g, new Val.Str(unlisted)), unlisted);
        }
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyEditor;
import dev.wassette.policy.PolicyParser;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComponentStoreTest {
    @TempDir
    Path dir;

    /**
     * A policy is held in memory: asking again parses nothing (the same value comes back), while a
     * change by another store on the directory — another process, in effect — or by hand is seen by
     * the very next read.
     */
    @Test
    void policiesAreHeldInMemoryAndReadAgainOnlyAfterAChange() throws Exception {
        ComponentStore server = new ComponentStore(dir);
        server.put("tool", new byte[] {0, 'a', 's', 'm'});
        Policy first = server.policy("tool");
        assertSame(first, server.policy("tool"));

        ComponentStore cli = new ComponentStore(dir);
        cli.update("tool", p -> PolicyEditor.grantNetworkHost(p, "api.example.com"));
        Policy granted = server.policy("tool");
        assertEquals("api.example.com", granted.networkAllow().getFirst().host());
        assertSame(granted, server.policy("tool"));

        Files.writeString(server.policyFile("tool"), "version: \"1.0\"\npermissions:\n  environment: {allow: [{key: EDITED}]}\n");
        assertEquals(List.of("EDITED"), server.policy("tool").environmentAllow());

        cli.remove("tool");
        assertTrue(server.policy("tool").environmentAllow().isEmpty(), "a removed component has no permissions");
    }

    @Test
    void grantsPersistAndAreSeenByTheNextRead() throws Exception {
        ComponentStore store = new ComponentStore(dir);
        store.put("tool", new byte[] {0, 'a', 's', 'm', (byte) 0xff});
        assertEquals(List.of("tool"), store.ids());
        assertEquals(Policy.denyAll().networkAllow(), store.policy("tool").networkAllow());
        assertTrue(java.util.Arrays.equals(new byte[] {0, 'a', 's', 'm', (byte) 0xff}, Files.readAllBytes(store.componentFile("tool"))));
        store.update("tool", p -> PolicyEditor.grantNetworkHost(p, "api.example.com"));
        // Another store over the same directory (another process, in effect) sees the grant.
        ComponentStore other = new ComponentStore(dir);
        assertEquals("api.example.com", other.policy("tool").networkAllow().getFirst().host());
        other.update("tool", PolicyEditor::reset);
        assertTrue(store.policy("tool").networkAllow().isEmpty(), "cached policy is refreshed when the file changes");
        assertTrue(store.remove("tool"));
        assertFalse(store.remove("tool"));
        assertEquals(List.of(), store.ids());
        assertEquals("my_tool-1.2", ComponentStore.idFor("my tool-1.2.wasm"));
    }

    @Test
    void theOriginLivesAndDiesWithTheComponent() throws Exception {
        ComponentStore store = new ComponentStore(dir);
        java.time.Instant fetched = java.time.Instant.parse("2026-01-02T03:04:05Z");
        ComponentOrigin origin = new ComponentOrigin("oci://reg.example/tools/x:1.0", "oci://reg.example/tools/x@sha256:" + "a".repeat(64),
                "sha256:" + "a".repeat(64), "sha256:" + "b".repeat(64), fetched);
        store.put("x", new byte[] {1}, origin);
        assertEquals(origin, store.origin("x"));
        ComponentOrigin file = new ComponentOrigin("file:///tmp/x.wasm", "file:///tmp/x.wasm", "sha256:" + "c".repeat(64),
                "sha256:" + "c".repeat(64), fetched);
        store.put("x", new byte[] {2}, file);
        assertEquals(file, store.origin("x"));
        // Bytes of unknown origin (the embedding API) leave no stale record.
        store.put("x", new byte[] {3});
        assertEquals(null, store.origin("x"));
        store.put("x", new byte[] {4}, origin);
        Files.writeString(store.originFile("x"), "{not json");
        assertEquals(null, store.origin("x"), "an unreadable record is no record");
        store.put("x", new byte[] {5}, origin);
        assertTrue(store.remove("x"));
        assertFalse(Files.exists(store.originFile("x")));
    }

    @Test
    void secretsAreOwnerOnlyAndAtomic() throws Exception {
        SecretStore secrets = new SecretStore(dir.resolve("secrets"));
        secrets.set("tool", "API_KEY", "s3cr3t: with \"quotes\"");
        secrets.set("tool", "OTHER", "x");
        assertEquals(Map.of("API_KEY", "s3cr3t: with \"quotes\"", "OTHER", "x"), secrets.get("tool"));
        assertTrue(secrets.delete("tool", "OTHER"));
        assertFalse(secrets.delete("tool", "OTHER"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secrets"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secrets/tool.yaml"))));
        assertEquals(Map.of(), secrets.get("unknown"));
    }

    /** kill -9 a JVM in the middle of granting, again and again: the policy file is never torn or empty. */
    @Test
    void killDuringGrantsNeverCorruptsThePolicy() throws Exception {
        ComponentStore store = new ComponentStore(dir);
        store.put("victim", new byte[] {1});
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int lastCount = 0;
        for (int round = 0; round < 12; round++) {
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    GrantLoop.class.getName(), dir.toString()).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
            assertEquals("ready", out.readLine());
            Thread.sleep(ThreadLocalRandom.current().nextInt(20, 150));
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            Policy p = PolicyParser.parse(store.policyFile("victim"));
            int count = p.networkAllow().size();
            assertTrue(count > lastCount, "grants never go backwards, and each child made one before it was killed");
            for (int i = 0; i < count; i++) {
                assertEquals("h" + i + ".example.com", p.networkAllow().get(i).host());
            }
            lastCount = count;
        }
        // Writers killed mid-write may leave temporary files; the next update removes them.
        store.update("victim", p -> p);
        try (var leftovers = Files.list(dir)) {
            assertEquals(List.of(), leftovers.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList());
        }
        assertTrue(lastCount > 0, "the child made progress between kills");
    }
}

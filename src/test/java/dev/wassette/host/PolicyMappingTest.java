package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.policy.PolicyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyMappingTest {
    @TempDir
    Path base;

    private Grants map(String permissions) throws Exception {
        return PolicyMapping.map(PolicyParser.parse("version: \"1.0\"\npermissions:\n" + permissions, "p.yaml"), base,
                Map.of("API_KEY", "k", "HOME", "/root"), Duration.ofSeconds(2));
    }

    @Test
    void treesBecomePreopensWithTheirAccess() throws Exception {
        Files.createDirectories(base.resolve("in"));
        Files.createDirectories(base.resolve("out"));
        Grants g = map("""
                  storage:
                    allow:
                      - {uri: "fs://in/**", access: [read]}
                      - {uri: "fs://out", access: [read, write]}
                      - {uri: "fs://missing/**", access: [read]}
                  environment:
                    allow: [{key: API_KEY}, {key: NOT_SET}]
                  resources:
                    limits: {memory: 64Mi, cpu: 500m}
                """);
        assertEquals(List.of(new Grants.Preopen(base.resolve("in"), "in", false), new Grants.Preopen(base.resolve("out"), "out", true)), g.preopens());
        assertEquals(Map.of("API_KEY", "k"), g.environment());
        assertEquals(64L << 20, g.memoryLimitBytes());
        assertEquals(1_000_000_000L, g.fuel()); // half a core for a 2 s call
        assertTrue(g.notes().get(0).contains("does not exist"));
        assertTrue(!g.nameLookup(), "no network rule: the guest cannot even resolve names");
        assertTrue(map("  network:\n    allow: [{host: \"api.example.com\"}]\n").nameLookup());
    }

    @Test
    void rulesWasiCannotExpressAreRefused() throws Exception {
        Files.createDirectories(base.resolve("data/secret"));
        Files.writeString(base.resolve("data/file.txt"), "x");
        assertTrue(assertThrows(UnenforceablePolicyException.class, () -> map("""
                  storage:
                    allow: [{uri: "fs://data/*.log", access: [read]}]
                """)).getMessage().contains("only whole directory trees"));
        assertTrue(assertThrows(UnenforceablePolicyException.class, () -> map("""
                  storage:
                    allow: [{uri: "fs://data/**", access: [write]}]
                """)).getMessage().contains("write without read"));
        assertTrue(assertThrows(UnenforceablePolicyException.class, () -> map("""
                  storage:
                    allow: [{uri: "fs://data/file.txt", access: [read]}]
                """)).getMessage().contains("is a file"));
        assertTrue(assertThrows(UnenforceablePolicyException.class, () -> map("""
                  storage:
                    allow: [{uri: "fs://data/**", access: [read]}]
                    deny: [{uri: "fs://data/secret/**", access: [read]}]
                """)).getMessage().contains("inside the allowed tree"));
        // A deny outside every allowed tree is already in force.
        assertEquals(1, map("""
                  storage:
                    allow: [{uri: "fs://data/secret/**", access: [read]}]
                    deny: [{uri: "fs://etc/**", access: [read]}]
                """).preopens().size());
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.policy.PolicyParser;
import dev.wassette.runtime.WasiConfig;
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
        assertEquals(List.of(new WasiConfig.Preopen(base.resolve("in"), "in", false), new WasiConfig.Preopen(base.resolve("out"), "out", true)), g.preopens());
        assertEquals(Map.of("API_KEY", "k"), g.environment());
        assertEquals(64L << 20, g.memoryLimitBytes());
        assertEquals(1_000_000_000L, g.fuel()); // half a core for a 2 s call
        assertTrue(g.notes().get(0).contains("does not exist"));
        assertTrue(!g.nameLookup(), "no network rule: the guest cannot even resolve names");
        assertTrue(map("  network:\n    allow: [{host: \"api.example.com\"}]\n").nameLookup());
    }

    @Test
    void rulesWasiCannotExpressAreLeftOutWithTheReasonAndWhatWouldWork() throws Exception {
        Files.createDirectories(base.resolve("data/secret"));
        Files.createDirectories(base.resolve("logs"));
        Files.writeString(base.resolve("data/file.txt"), "x");
        Grants glob = map("""
                  storage:
                    allow:
                      - {uri: "fs://data/*.log", access: [read]}
                      - {uri: "fs://logs/**", access: [read]}
                """);
        assertEquals(List.of(new WasiConfig.Preopen(base.resolve("logs"), "logs", false)), glob.preopens(), "the enforceable rule stays in force");
        assertTrue(glob.notes().getFirst().contains("not glob patterns") && glob.notes().getFirst().contains("fs://data/**"), glob.notes().toString());
        Grants writeOnly = map("""
                  storage:
                    allow: [{uri: "fs://data/**", access: [write]}]
                """);
        assertTrue(writeOnly.preopens().isEmpty());
        assertTrue(writeOnly.notes().getFirst().contains("write without read"), writeOnly.notes().toString());
        Grants file = map("""
                  storage:
                    allow: [{uri: "fs://data/file.txt", access: [read]}]
                """);
        assertTrue(file.preopens().isEmpty());
        assertTrue(file.notes().getFirst().contains("is a file") && file.notes().getFirst().contains("fs://" + base.resolve("data") + "/**"),
                file.notes().toString());
        Grants carved = map("""
                  storage:
                    allow: [{uri: "fs://data/**", access: [read]}, {uri: "fs://logs/**", access: [read]}]
                    deny: [{uri: "fs://data/secret/**", access: [read]}]
                """);
        assertEquals(List.of(new WasiConfig.Preopen(base.resolve("logs"), "logs", false)), carved.preopens(),
                "a tree holding a deny rule is left out whole, so the deny holds");
        assertTrue(carved.notes().getFirst().contains("cannot carve"), carved.notes().toString());
        // A deny outside every allowed tree is already in force.
        assertEquals(1, map("""
                  storage:
                    allow: [{uri: "fs://data/secret/**", access: [read]}]
                    deny: [{uri: "fs://etc/**", access: [read]}]
                """).preopens().size());
    }

    @Test
    void grantsAddingAnUnenforceableRuleAreRefusedOthersPass() throws Exception {
        Files.createDirectories(base.resolve("data"));
        Files.writeString(base.resolve("data/notes.txt"), "x");
        var empty = dev.wassette.policy.Policy.denyAll();
        var file = dev.wassette.policy.PolicyEditor.grantStorage(empty, "fs://" + base.resolve("data/notes.txt"),
                java.util.EnumSet.of(dev.wassette.policy.Policy.Access.READ));
        UnenforceablePolicyException e = assertThrows(UnenforceablePolicyException.class,
                () -> PolicyMapping.requireEnforceable(empty, file, base));
        assertTrue(e.getMessage().contains("grant its directory fs://" + base.resolve("data") + "/** instead read-only"), e.getMessage());
        var tree = dev.wassette.policy.PolicyEditor.grantStorage(empty, "fs://" + base.resolve("data") + "/**",
                java.util.EnumSet.of(dev.wassette.policy.Policy.Access.READ));
        PolicyMapping.requireEnforceable(empty, tree, base);
        // A rule that was already unenforceable does not block an unrelated grant.
        PolicyMapping.requireEnforceable(file, dev.wassette.policy.PolicyEditor.grantEnvironment(file, "API_KEY"), base);
    }
}

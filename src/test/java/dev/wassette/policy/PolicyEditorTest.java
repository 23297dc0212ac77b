package dev.wassette.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyEditorTest {
    private static final Set<Policy.Access> R = EnumSet.of(Policy.Access.READ);
    private static final Set<Policy.Access> W = EnumSet.of(Policy.Access.WRITE);

    @Test
    void grantsMergeDeduplicateAndRoundTripThroughYaml() throws Exception {
        Policy p = Policy.denyAll();
        p = PolicyEditor.grantStorage(p, "fs:///data/**", R);
        p = PolicyEditor.grantStorage(p, "fs:///data/**", W);
        p = PolicyEditor.grantStorage(p, "fs:///data/**", R);
        p = PolicyEditor.grantNetworkHost(p, "api.example.com");
        p = PolicyEditor.grantNetworkHost(p, "API.example.com");
        p = PolicyEditor.grantNetworkCidr(p, "10.0.0.0/8");
        p = PolicyEditor.grantEnvironment(p, "API_KEY");
        p = PolicyEditor.grantEnvironment(p, "API_KEY");
        p = PolicyEditor.grantMemory(p, 64L << 20);
        assertEquals(1, p.storageAllow().size());
        assertEquals(EnumSet.allOf(Policy.Access.class), p.storageAllow().getFirst().access());
        assertEquals(2, p.networkAllow().size());
        assertEquals(List.of("API_KEY"), p.environmentAllow());

        Policy reparsed = PolicyParser.parse(PolicyWriter.toYaml(p), "written.yaml");
        assertEquals(p.storageAllow().getFirst().access(), reparsed.storageAllow().getFirst().access());
        assertEquals(List.of("api.example.com"), reparsed.networkAllow().stream().map(Policy.NetworkRule::host).filter(h -> h != null).toList());
        assertEquals(List.of("10.0.0.0/8"), reparsed.networkAllow().stream().map(Policy.NetworkRule::cidr).filter(h -> h != null).toList());
        assertEquals(List.of("API_KEY"), reparsed.environmentAllow());
        assertEquals(64L << 20, reparsed.resources().memoryBytes());

        p = PolicyEditor.revokeStorage(p, "fs:///data/**", W);
        assertEquals(R, p.storageAllow().getFirst().access());
        p = PolicyEditor.revokeStorage(p, "fs:///data/**", R);
        assertTrue(p.storageAllow().isEmpty());
        p = PolicyEditor.revokeNetwork(p, "API.EXAMPLE.COM");
        p = PolicyEditor.revokeNetwork(p, "10.0.0.0/8");
        assertTrue(p.networkAllow().isEmpty());
        p = PolicyEditor.revokeEnvironment(p, "API_KEY");
        assertTrue(p.environmentAllow().isEmpty());
        assertEquals(Policy.Resources.NONE, PolicyEditor.reset(PolicyEditor.grantMemory(p, 1)).resources());
        Policy same = PolicyEditor.grantEnvironment(Policy.denyAll(), "X");
        assertSame(same, PolicyEditor.grantEnvironment(same, "X"));
    }

    @Test
    void invalidGrantsAreRefusedWithTheRuleProblem() {
        assertEquals("host \"*.*.bad\": wildcards are allowed only as a leading \"*.\" (or \"*\" alone)",
                assertThrows(IllegalArgumentException.class, () -> PolicyEditor.grantNetworkHost(Policy.denyAll(), "*.*.bad")).getMessage());
        assertEquals("cidr \"10.0.0.0/99\": prefix /99 is out of range for IPv4",
                assertThrows(IllegalArgumentException.class, () -> PolicyEditor.grantNetworkCidr(Policy.denyAll(), "10.0.0.0/99")).getMessage());
        assertEquals("environment key \"A*\": wildcards are not allowed",
                assertThrows(IllegalArgumentException.class, () -> PolicyEditor.grantEnvironment(Policy.denyAll(), "A*")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PolicyEditor.grantStorage(Policy.denyAll(), "/etc", R))
                .getMessage().contains("must look like fs:///absolute/path"));
        assertThrows(IllegalArgumentException.class, () -> PolicyEditor.grantStorage(Policy.denyAll(), "fs://x\"\n  evil: [", R));
    }
}

package dev.wassette.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyParserTest {
    static Stream<Path> wassettePolicies() throws IOException {
        Path dir = Path.of("src/test/resources/policies/wassette");
        List<Path> files = Files.list(dir).filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        assertTrue(files.size() >= 15, "fixture policies present");
        return files.stream();
    }

    @ParameterizedTest
    @MethodSource("wassettePolicies")
    void everyWassettePolicyParses(Path file) throws Exception {
        Policy p = PolicyParser.parse(file);
        assertTrue(p.version().startsWith("1"));
    }

    @Test
    void comprehensivePolicyIsReadCompletelyAndUnenforcedSectionsWarn() throws Exception {
        Policy p = PolicyParser.parse(Path.of("src/test/resources/policies/wassette/comprehensive.yaml"));
        assertEquals(2, p.storageAllow().size());
        assertEquals(Set.of(Policy.Access.READ, Policy.Access.WRITE), p.storageAllow().get(0).access());
        assertEquals("fs://workspace/**", p.storageAllow().get(0).uri());
        assertEquals(1, p.storageDeny().size());
        assertEquals(List.of("api.openai.com", "*.internal.company.com"), p.networkAllow().stream().map(Policy.NetworkRule::host).filter(h -> h != null).toList());
        assertEquals(List.of("10.0.0.0/8", "172.16.0.0/12"), p.networkAllow().stream().map(Policy.NetworkRule::cidr).filter(c -> c != null).toList());
        assertEquals(List.of("PATH", "HOME", "USER", "API_KEY", "DATABASE_URL"), p.environmentAllow());
        assertEquals(1024L << 20, p.resources().memoryBytes());
        assertEquals(500L, p.resources().cpuMillis()); // legacy percent: 50.0 % of a core
        String warnings = String.join("\n", p.warnings());
        assertTrue(warnings.contains("comprehensive.yaml:32: \"runtime\""), warnings);
        assertTrue(warnings.contains("\"ipc\" is not enforced"), warnings);
        assertTrue(warnings.contains("\"resources.io\" is not enforced"), warnings);
    }

    @Test
    void kubernetesStyleLimits() throws Exception {
        Policy p = PolicyParser.parse("""
                version: "1.0"
                permissions:
                  resources:
                    limits: {cpu: "500m", memory: "512Mi"}
                """, "k.yaml");
        assertEquals(512L << 20, p.resources().memoryBytes());
        assertEquals(500L, p.resources().cpuMillis());
    }

    @Test
    void errorsNameFileLineAndRule() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyParser.parse("""
                version: "2.0"
                permissions:
                  storage:
                    allow:
                      - uri: "fs://data/a**b"
                        access: [read]
                      - uri: "/etc"
                        access: [read]
                      - uri: "fs://ok/**"
                        access: [execute]
                  network:
                    allow:
                      - host: "api.*.example.com"
                      - cidr: "10.0.0.0/33"
                      - cidr: "not-an-ip/8"
                      - host: "a.example"
                        cidr: "10.0.0.0/8"
                  environment:
                    allow:
                      - key: "API_*"
                """, "bad.yaml"));
        List<String> p = e.problems();
        assertEquals(List.of(
                "bad.yaml:1: unsupported policy version \"2.0\" (only 1.x)",
                "bad.yaml:5: storage uri \"fs://data/a**b\": \"**\" must be a whole path segment",
                "bad.yaml:7: storage uri \"/etc\" must look like fs:///absolute/path or fs://relative/path",
                "bad.yaml:10: unknown access \"execute\" (expected read or write)",
                "bad.yaml:13: host \"api.*.example.com\": wildcards are allowed only as a leading \"*.\" (or \"*\" alone)",
                "bad.yaml:14: cidr \"10.0.0.0/33\": prefix /33 is out of range for IPv4",
                "bad.yaml:15: cidr \"not-an-ip/8\": \"not-an-ip\" is not an IP address",
                "bad.yaml:16: a network rule needs exactly one of \"host\" or \"cidr\"",
                "bad.yaml:20: environment key \"API_*\": wildcards are not allowed"), p);
    }

    @Test
    void invalidYamlGivesLine() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyParser.parse("version: \"1.0\"\npermissions:\n  storage: [\n", "broken.yaml"));
        assertTrue(e.getMessage().startsWith("broken.yaml:"), e.getMessage());
        assertTrue(e.getMessage().contains("invalid YAML"), e.getMessage());
        PolicyException dup = assertThrows(PolicyException.class, () -> PolicyParser.parse("version: \"1.0\"\nversion: \"1.0\"\n", "dup.yaml"));
        assertTrue(dup.getMessage().contains("dup.yaml:2"), dup.getMessage());
    }

    @Test
    void unknownKeysWarnButParse() throws Exception {
        Policy p = PolicyParser.parse("""
                version: "1.0"
                extra: true
                permissions:
                  network:
                    allow: [{host: "h.example", comment: "x"}]
                """, "w.yaml");
        assertEquals(List.of("w.yaml:2: unknown key \"extra\" ignored",
                "w.yaml:5: unknown key \"comment\" in network rule ignored"), p.warnings());
        assertEquals(1, p.networkAllow().size());
    }
}

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
    void quotasAreReadWrittenBackAndCheckedWithTheirLine() throws Exception {
        Policy p = PolicyParser.parse("""
                version: "1.0"
                permissions:
                  resources:
                    limits: {memory: "64Mi"}
                    quotas: {concurrent_calls: 2, calls_per_minute: 120, outbound_bytes: 64Ki}
                """, "q.yaml");
        assertEquals(new Policy.Quotas(2, 120, null, 64L << 10), p.resources().quotas());
        assertTrue(PolicyWriter.toYaml(p).contains("outbound_bytes: 64Ki"), PolicyWriter.toYaml(p));
        assertEquals(64L << 20, p.resources().memoryBytes());
        Policy again = PolicyParser.parse(PolicyWriter.toYaml(p), "written.yaml");
        assertTrue(again.grantsSameAs(p), PolicyWriter.toYaml(p));
        assertEquals(Policy.Quotas.NONE, PolicyParser.parse("version: \"1.0\"\npermissions: {}\n", "none.yaml").resources().quotas(),
                "a Wassette policy without quotas has none");

        PolicyException bad = org.junit.jupiter.api.Assertions.assertThrows(PolicyException.class, () -> PolicyParser.parse("""
                version: "1.0"
                permissions:
                  resources:
                    quotas:
                      concurrent_calls: 0
                      calls_per_hour: 5
                      outbound_bytes: 2Ti
                """, "bad.yaml"));
        String problems = String.join("\n", bad.problems());
        assertTrue(problems.contains("bad.yaml:7") && problems.contains("outbound_bytes must be a size from 1 byte to 1099511627776"), problems);
        assertTrue(problems.contains("bad.yaml:5") && problems.contains("concurrent_calls must be a whole number from 1 to 1000000"), problems);
        assertTrue(problems.contains("bad.yaml:6") && problems.contains("unknown quota \"calls_per_hour\""), problems);
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
        // Found by PolicyYamlFuzzTest: a malformed tag made the YAML library throw its own IllegalArgumentException.
        PolicyException tag = assertThrows(PolicyException.class, () -> PolicyParser.parse("!--:%A", "tag.yaml"));
        assertTrue(tag.getMessage().startsWith("tag.yaml:1: invalid YAML"), tag.getMessage());
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

    @Test
    void capabilityFormMapsOntoTheSameModel() throws Exception {
        Policy p = PolicyParser.parse("""
                capabilities:
                  filesystem: { read: ["./data", "/srv/shared/", "logs", "."], write: ["logs/**", "/assets"] }
                  network: { outbound: ["api.company.com:443", "*.example.org", "10.0.0.0/8", "[::1]:8080"] }
                  environment: [API_KEY]
                """, "caps.yaml");
        assertEquals("1.0", p.version());
        assertEquals(List.of(
                new Policy.StorageRule("fs://data/**", Set.of(Policy.Access.READ), 2),
                new Policy.StorageRule("fs:///srv/shared/**", Set.of(Policy.Access.READ), 2),
                new Policy.StorageRule("fs://logs/**", Set.of(Policy.Access.READ, Policy.Access.WRITE), 2),
                new Policy.StorageRule("fs://./**", Set.of(Policy.Access.READ), 2),
                new Policy.StorageRule("fs:///assets/**", Set.of(Policy.Access.WRITE), 2)), p.storageAllow());
        assertEquals(List.of(
                new Policy.NetworkRule("api.company.com:443", null, 3),
                new Policy.NetworkRule("*.example.org", null, 3),
                new Policy.NetworkRule(null, "10.0.0.0/8", 3),
                new Policy.NetworkRule("[::1]:8080", null, 3)), p.networkAllow());
        assertEquals(443, HostPattern.parse(p.networkAllow().getFirst().host()).port(), "host:port is a rule for that port only");
        assertEquals(List.of("API_KEY"), p.environmentAllow());
        assertEquals(List.of("caps.yaml:2: capabilities.filesystem.write \"/assets\" is not under read: WASI cannot grant write without read,"
                + " so it is not granted; list it under read as well for read-write access"), p.warnings());

        // Written back as policy-mcp, it reads as the same rules.
        Policy again = PolicyParser.parse(PolicyWriter.toYaml(p), "written.yaml");
        assertEquals(p.storageAllow().stream().map(r -> r.uri() + r.access()).toList(), again.storageAllow().stream().map(r -> r.uri() + r.access()).toList());
        assertEquals(p.networkAllow().stream().map(r -> r.host() + r.cidr()).toList(), again.networkAllow().stream().map(r -> r.host() + r.cidr()).toList());
    }

    @Test
    void capabilityFormNoneMeansNothing() throws Exception {
        Policy p = PolicyParser.parse("capabilities:\n  filesystem: none\n  network: none\n  environment: none\n", "none.yaml");
        assertTrue(p.storageAllow().isEmpty() && p.networkAllow().isEmpty() && p.environmentAllow().isEmpty(), p.toString());
        assertEquals(List.of(), p.warnings());
        Policy unknown = PolicyParser.parse("capabilities:\n  gpu: [all]\n", "u.yaml");
        assertEquals(List.of("u.yaml:2: unknown capability \"gpu\" ignored: nothing is granted for it"), unknown.warnings());
    }

    @Test
    void capabilityFormErrorsNameTheField() {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyParser.parse("""
                capabilities:
                  filesystem:
                    read: ["../up", "~/notes", "fs:///etc", "", "data/a**b"]
                    write: "/assets"
                  network:
                    outbound:
                      - "https://api.company.com"
                      - "api.company.com:99999"
                      - "api.company.com:https"
                      - "bad host:80"
                      - "10.0.0.0/33"
                  environment: ["API_*", {key: X}]
                """, "bad-caps.yaml"));
        assertEquals(List.of(
                "bad-caps.yaml:3: capabilities.filesystem.read[0] \"../up\": must not contain \"..\"",
                "bad-caps.yaml:3: capabilities.filesystem.read[1] \"~/notes\": \"~\" is not expanded; write the absolute path",
                "bad-caps.yaml:3: capabilities.filesystem.read[2] \"fs:///etc\": a path, not a URI (e.g. ./data or /srv/data)",
                "bad-caps.yaml:3: capabilities.filesystem.read[3]: empty path",
                "bad-caps.yaml:3: capabilities.filesystem.read[4] \"data/a**b\": \"**\" must be a whole path segment",
                "bad-caps.yaml:4: capabilities.filesystem.write must be a list of paths",
                "bad-caps.yaml:7: capabilities.network.outbound[0] \"https://api.company.com\": write host:port, without a scheme",
                "bad-caps.yaml:8: capabilities.network.outbound[1] \"api.company.com:99999\": port 99999 is out of range",
                "bad-caps.yaml:9: capabilities.network.outbound[2] \"api.company.com:https\": port \"https\" is not a number",
                "bad-caps.yaml:10: capabilities.network.outbound[3] \"bad host:80\": not a valid host name",
                "bad-caps.yaml:11: capabilities.network.outbound[4] \"10.0.0.0/33\": not host:port, and not a CIDR network: prefix /33 is out of range for IPv4",
                "bad-caps.yaml:12: capabilities.environment[0] \"API_*\": wildcards are not allowed",
                "bad-caps.yaml:12: \"capabilities.environment[1]\" must be a single value"), e.problems());
    }

    @Test
    void theTwoFormsDoNotMix() {
        PolicyException both = assertThrows(PolicyException.class, () -> PolicyParser.parse(
                "version: \"1.0\"\npermissions: {}\ncapabilities: {network: none}\n", "both.yaml"));
        assertEquals(List.of("both.yaml:2: a policy has either \"capabilities\" (capability form) or \"permissions\" (policy-mcp form), not both"),
                both.problems());
        PolicyException nested = assertThrows(PolicyException.class, () -> PolicyParser.parse(
                "version: \"1.0\"\npermissions:\n  capabilities: {network: none}\n", "nested.yaml"));
        assertEquals(List.of("nested.yaml:3: \"capabilities\" belongs at the top level of a policy, not under \"permissions\""), nested.problems());
        PolicyException notMapping = assertThrows(PolicyException.class, () -> PolicyParser.parse("capabilities: [filesystem]\n", "list.yaml"));
        assertEquals(List.of("list.yaml:1: \"capabilities\" must be a mapping with filesystem, network and/or environment"), notMapping.problems());
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Provisioning manifests: read with every problem named by entry, loaded in full or not at all (digests enforced). */
class ProvisioningTest {
    @TempDir
    Path dir;
    private ComponentHost host;
    private String ioDigest;

    @BeforeEach
    void start() throws Exception {
        Files.copy(Fixtures.path("io.wasm"), dir.resolve("io.wasm"));
        Files.copy(Fixtures.path("types.wasm"), dir.resolve("types.wasm"));
        ioDigest = ComponentSources.fetch("io.wasm", dir, null).digest();
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
    }

    @AfterEach
    void stop() {
        host.close();
    }

    private ProvisioningManifest manifest(String yaml) throws Exception {
        return ProvisioningManifest.read(Files.writeString(dir.resolve("manifest.yaml"), yaml));
    }

    private List<String> problems(String yaml) {
        return assertThrows(ProvisioningManifest.ManifestException.class, () -> manifest(yaml)).problems();
    }

    /** Refuses nothing; the tool-name check is the MCP server's, tested with it. */
    private static final Provisioner.Admission ANY = candidate -> { };

    @Test
    void entriesCarryTheirPinAndPermissionsInEitherForm() throws Exception {
        ProvisioningManifest m = manifest("""
                components:
                  - uri: ./io.wasm
                    name: files
                    digest: %s
                    permissions:
                      capabilities:
                        filesystem: { read: ["./data"] }
                  - uri: %s
                    permissions:
                      network: { allow: [{host: "api.example.com:443"}] }
                """.formatted(ioDigest, dir.resolve("types.wasm").toUri()));
        assertEquals(2, m.entries().size());
        ProvisioningManifest.Entry files = m.entries().get(0);
        assertEquals("files", files.id());
        assertEquals(ioDigest, files.digest());
        assertEquals("fs://" + dir.resolve("data") + "/**", files.permissions().storageAllow().getFirst().uri(),
                "relative paths in a manifest are the manifest's");
        ProvisioningManifest.Entry types = m.entries().get(1);
        assertEquals("types", types.id(), "named after its file");
        assertEquals(null, types.digest());
        assertEquals("api.example.com:443", types.permissions().networkAllow().getFirst().host());
        assertEquals(dir.resolve("manifest.yaml") + ":2: component \"files\" (entry 1, ./io.wasm)", files.describe());

        ProvisioningManifest bareList = manifest("- uri: io.wasm\n");
        assertTrue(bareList.entries().getFirst().permissions().grantsSameAs(Policy.denyAll()), "no permissions: none");
    }

    @Test
    void everyProblemIsNamedByFileLineAndEntry() {
        String m = dir.resolve("manifest.yaml").toString();
        assertEquals(List.of(
                m + ":2: entry 1: unknown key \"digset\" (uri, name, digest, permissions)",
                m + ":3: component \"tool\" (entry 2, oci://ghcr.io/acme/tool:1.0): \"digest\" is required for oci:// sources (sha256:…), so the bytes loaded are the bytes reviewed",
                m + ":5: component \"bad-digest\" (entry 4, types.wasm): digest \"sha256:XYZ\" is not sha256: followed by 64 lower-case hex digits",
                m + ":9: capabilities.network.outbound[0] \"api.example.com:0\": port 0 is out of range (in the permissions of component \"net\", entry 5)",
                m + ":10: component \"io\" (entry 6, ./io.wasm): the name is already used by entry 3 (line 4)",
                m + ":11: entry 7: \"uri\" is missing (the component's file:// URI or path, oci:// or https:// reference)",
                m + ":12: component \"no way\" (entry 8, io.wasm): invalid component id \"no way\" (letters, digits, '.', '_', '-')"),
                problems("""
                        components:
                          - {uri: io.wasm, digset: "sha256:00"}
                          - uri: oci://ghcr.io/acme/tool:1.0
                          - {uri: io.wasm}
                          - {uri: types.wasm, name: bad-digest, digest: "sha256:XYZ"}
                          - uri: types.wasm
                            name: net
                            permissions:
                              capabilities: { network: { outbound: ["api.example.com:0"] } }
                          - uri: ./io.wasm
                          - name: nothing
                          - {uri: io.wasm, name: "no way"}
                        """));
        assertEquals(List.of(m + ":1: unknown key \"component\" (components, version)",
                m + ":1: no \"components\": a manifest lists the components to load"), problems("component: []\n"));
    }

    @Test
    void aDigestMismatchFailsStartUpNamingTheEntryAndStoresNothing() throws Exception {
        String wrong = "sha256:" + "0".repeat(64);
        ProvisioningManifest m = manifest("""
                components:
                  - uri: types.wasm
                  - uri: io.wasm
                    digest: %s
                """.formatted(wrong));
        Provisioner.ProvisioningException e = assertThrows(Provisioner.ProvisioningException.class, () -> Provisioner.provision(host, m, false, ANY));
        assertEquals(List.of(dir.resolve("manifest.yaml") + ":3: component \"io\" (entry 2, io.wasm): digest mismatch: " + dir.resolve("io.wasm")
                + " is " + ioDigest + ", not the " + wrong + " expected"), e.problems());
        assertEquals(List.of(), host.store().ids(), "the entry that passed was not stored either");
        assertTrue(host.components().isEmpty());
    }

    @Test
    void continuingOnFailureLoadsTheOthersWithTheirPermissions() throws Exception {
        Files.write(dir.resolve("broken.wasm"), new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        ProvisioningManifest m = manifest("""
                components:
                  - uri: broken.wasm
                  - uri: io.wasm
                    digest: %s
                    permissions:
                      capabilities: { filesystem: { read: [data] }, environment: [API_KEY] }
                  - uri: missing.wasm
                """.formatted(ioDigest));
        Provisioner.Result r = Provisioner.provision(host, m, true, ANY);
        assertEquals(List.of("io"), r.provisioned());
        assertEquals(3, r.warnings().size(), r.warnings().toString());
        String m0 = dir.resolve("manifest.yaml").toString();
        assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith(m0 + ":2: component \"broken\" (entry 1, broken.wasm): input is a core WebAssembly module")
                && w.endsWith("; not loaded (--continue-on-provisioning-failure)")), r.warnings().toString());
        assertTrue(r.warnings().contains(m0 + ":7: component \"missing\" (entry 3, missing.wasm): no such file: " + dir.resolve("missing.wasm")
                + "; not loaded (--continue-on-provisioning-failure)"), r.warnings().toString());
        assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith(m0 + ":3: component \"io\" (entry 2, io.wasm): storage rule fs://" + dir.resolve("data") + "/**")
                && w.contains("does not exist")), r.warnings().toString());
        assertEquals(List.of("io"), host.store().ids());
        assertEquals(List.of("API_KEY"), host.store().policy("io").environmentAllow());
        assertEquals("fs://" + dir.resolve("data") + "/**", host.store().policy("io").storageAllow().getFirst().uri());
    }

    @Test
    void theManifestStatesTheWholeGrantAndADeclarationStaysUnapplied() throws Exception {
        Files.writeString(dir.resolve("io.policy.yaml"), "capabilities:\n  network: { outbound: [\"api.example.com:443\"] }\n");
        host.load("io", Files.readAllBytes(dir.resolve("io.wasm")));
        host.store().update("io", p -> dev.wassette.policy.PolicyEditor.grantEnvironment(p, "OLD_GRANT"));
        Provisioner.provision(host, manifest("components:\n  - uri: io.wasm\n"), false, ANY);
        assertTrue(host.store().policy("io").grantsSameAs(Policy.denyAll()), "what the manifest does not grant is not granted");
        assertEquals("api.example.com:443", host.store().declaredPolicy("io").orElseThrow().policy().networkAllow().getFirst().host());
    }

    @Test
    void unenforceablePermissionsAndRefusedComponentsFailTheirEntry() throws Exception {
        List<String> admitted = new ArrayList<>();
        Provisioner.Admission onlyOneTypes = candidate -> {
            if (!admitted.isEmpty()) {
                throw new IllegalStateException("tool clash with " + admitted.getFirst());
            }
            admitted.add(candidate.id());
        };
        ProvisioningManifest m = manifest("""
                components:
                  - {uri: types.wasm, name: first}
                  - {uri: types.wasm, name: second}
                  - uri: io.wasm
                    permissions: { capabilities: { filesystem: { write: [/tmp] } } }
                """);
        Provisioner.ProvisioningException e = assertThrows(Provisioner.ProvisioningException.class, () -> Provisioner.provision(host, m, false, onlyOneTypes));
        assertEquals(2, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).endsWith("component \"second\" (entry 2, types.wasm): tool clash with first"), e.problems().get(0));
        assertTrue(e.problems().get(1).contains("component \"io\" (entry 3, io.wasm): permissions that cannot be enforced as written: "
                + "storage rule fs:///tmp/** (line 5): WASI cannot grant write without read"), e.problems().get(1));
        assertFalse(Files.exists(dir.resolve("components/first.wasm")));
    }
}

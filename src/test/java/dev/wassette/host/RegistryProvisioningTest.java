package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.TestRegistry;
import dev.wassette.source.SourceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provisioning manifest whose entry is an OCI artifact in a real registry: pinned by the
 * manifest digest oras printed, its origin recorded, its policy layer kept as the declaration while
 * the manifest's permissions are what is granted; a wrong pin stores nothing.
 */
class RegistryProvisioningTest {
    @TempDir
    Path dir;

    @Test
    void anOciEntryIsPulledByItsPinnedDigest() throws Exception {
        Files.copy(Fixtures.path("types.wasm"), dir.resolve("types.wasm"));
        Files.writeString(dir.resolve("config.json"), "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}");
        Files.writeString(dir.resolve("policy.yaml"), "version: \"1.0\"\npermissions:\n  environment:\n    allow: [{key: HOME}]\n");
        try (TestRegistry registry = TestRegistry.distribution(dir.resolve("registry"));
             ComponentHost host = new ComponentHost(Fixtures.engine(), new ComponentHost.Settings(dir.resolve("components"), dir.resolve("secrets"), dir,
                     Map.of(), Map.of(), Map.of(), Map.of(), Duration.ofSeconds(10), 1 << 20), SourceSettings.defaults(dir.resolve("cache")))) {
            String digest = registry.orasPush(dir, "tools/types:1.0", "config.json:application/vnd.wasm.config.v0+json",
                    "types.wasm:application/wasm", "policy.yaml:application/vnd.wasm.policy.v1+yaml");
            String ref = registry.ref("tools/types:1.0");

            ProvisioningManifest wrong = ProvisioningManifest.read(Files.writeString(dir.resolve("wrong.yaml"), """
                    components:
                      - uri: %s
                        digest: sha256:%s
                    """.formatted(ref, "d".repeat(64))));
            Provisioner.ProvisioningException e = assertThrows(Provisioner.ProvisioningException.class,
                    () -> Provisioner.provision(host, wrong, false, candidate -> { }));
            assertTrue(e.getMessage().contains("component \"types\" (entry 1, " + ref + "): " + ref + " pinned to sha256:" + "d".repeat(64)), e.getMessage());
            assertFalse(host.store().contains("types"), "nothing stored");

            ProvisioningManifest pinned = ProvisioningManifest.read(Files.writeString(dir.resolve("manifest.yaml"), """
                    components:
                      - uri: %s
                        digest: %s
                        permissions:
                          environment: { allow: [{key: API_KEY}] }
                    """.formatted(ref, digest)));
            assertEquals(List.of("types"), Provisioner.provision(host, pinned, false, candidate -> { }).provisioned());
            ComponentOrigin origin = host.store().origin("types");
            assertEquals(ref, origin.source());
            assertEquals(digest, origin.digest());
            assertEquals(List.of("API_KEY"), host.store().policy("types").environmentAllow(), "the manifest's permissions are granted");
            assertEquals(List.of("HOME"), host.store().declaredPolicy("types").orElseThrow().policy().environmentAllow(),
                    "the policy layer is the declaration, not applied");
        }
    }
}

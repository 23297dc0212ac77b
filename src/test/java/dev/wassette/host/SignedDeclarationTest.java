package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Cosign;
import dev.wassette.Fixtures;
import dev.wassette.TestRegistry;
import dev.wassette.source.RegistryCredentials;
import dev.wassette.source.Progress;
import dev.wassette.source.SourceSettings;
import dev.wassette.source.TrustPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust policy at the host: an artifact's declaration (its policy layer) becomes its policy
 * when — and only when — its cosign signature verified and the rule for its prefix applies
 * declarations; signed under a rule that does not, or unsigned where no signature is required, it
 * is stored and shown, not applied; refused artifacts (unsigned or signed by another key where a
 * signature is required) leave the store as it was.
 */
class SignedDeclarationTest {
    private static final String DECLARED = "version: \"1.0\"\npermissions:\n  environment:\n    allow: [{key: HOME}]\n";

    @TempDir
    Path dir;
    private Cosign cosign;
    private Cosign.Key acme;

    @BeforeEach
    void fixtures() throws Exception {
        Files.copy(Fixtures.path("types.wasm"), dir.resolve("types.wasm"));
        Files.writeString(dir.resolve("config.json"), "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}");
        Files.writeString(dir.resolve("policy.yaml"), DECLARED);
        cosign = new Cosign(dir.resolve("cosign"));
        acme = cosign.generateKeyPair("acme");
    }

    private ComponentHost host(TrustPolicy trust) {
        return new ComponentHost(Fixtures.engine(), new ComponentHost.Settings(dir.resolve("components"), dir.resolve("secrets"), dir,
                Map.of(), Map.of(), Map.of(), Map.of(), Duration.ofSeconds(10), 1 << 20),
                SourceSettings.defaults(dir.resolve("cache")).withTrustPolicy(trust));
    }

    private TrustPolicy trust(String registry) throws Exception {
        return TrustPolicy.read(Files.writeString(dir.resolve("trust.toml"), """
                [keys]
                acme = "%s"

                [[rules]]
                prefix = "%s/applied"
                keys = ["acme"]
                apply_declared_permissions = true

                [[rules]]
                prefix = "%s/shown"
                keys = ["acme"]

                [[rules]]
                prefix = "%s/optional"
                keys = ["acme"]
                require_signature = false
                apply_declared_permissions = true
                """.formatted(acme.publicKey(), registry, registry, registry)));
    }

    private String push(TestRegistry registry, String repositoryAndTag) {
        return registry.orasPush(dir, repositoryAndTag, "config.json:application/vnd.wasm.config.v0+json",
                "types.wasm:application/wasm", "policy.yaml:application/vnd.wasm.policy.v1+yaml");
    }

    private ComponentSources.Fetched fetch(ComponentHost host, String ref) throws Exception {
        return host.sources().fetch(ref, dir, null, RegistryCredentials.none(), Progress.NONE);
    }

    private static void install(ComponentHost host, String id, ComponentSources.Fetched fetched) throws Exception {
        host.install(host.prepare(id, fetched.bytes()), fetched);
    }

    @Test
    void aVerifiedSignatureAppliesTheDeclarationOnlyWhereTheTrustPolicySaysSo() throws Exception {
        try (TestRegistry registry = TestRegistry.withReferrers(dir.resolve("registry"))) {
            String applied = push(registry, "applied/types:1.0");
            String shown = push(registry, "shown/types:1.0");
            String optional = push(registry, "optional/types:1.0");
            cosign.signBundle(acme, registry.address() + "/applied/types@" + applied);
            cosign.signLegacy(acme, registry.address() + "/shown/types@" + shown);

            try (ComponentHost host = host(trust(registry.address()))) {
                ComponentSources.Fetched signed = fetch(host, registry.ref("applied/types:1.0"));
                assertTrue(signed.trust().signatureVerified(), signed.trust().reason());
                assertTrue(signed.trust().allowsApplyingDeclaration());
                assertTrue(signed.trust().signedBy().startsWith("acme (sha256:") && signed.trust().signedBy().endsWith("Sigstore bundle (OCI referrers API)"),
                        signed.trust().signedBy());
                install(host, "applied", signed);
                assertEquals(List.of("HOME"), host.store().policy("applied").environmentAllow(), "signed and trusted for declarations: applied");
                assertEquals(signed.trust().signedBy(), host.store().origin("applied").signedBy(), "who signed is recorded with the origin");

                ComponentSources.Fetched kept = fetch(host, registry.ref("shown/types:1.0"));
                assertTrue(kept.trust().signatureVerified(), kept.trust().reason());
                assertFalse(kept.trust().allowsApplyingDeclaration(), "the rule for shown/ does not apply declarations");
                install(host, "shown", kept);
                assertTrue(host.store().policy("shown").environmentAllow().isEmpty(), "signed, but not applied");
                assertEquals(List.of("HOME"), host.store().declaredPolicy("shown").orElseThrow().policy().environmentAllow(), "shown as the declaration");
                assertTrue(kept.trust().signedBy().endsWith("cosign signature"), kept.trust().signedBy());

                ComponentSources.Fetched unsigned = fetch(host, registry.ref("optional/types:1.0"));
                assertFalse(unsigned.trust().signatureVerified());
                assertFalse(unsigned.trust().allowsApplyingDeclaration(), "apply_declared_permissions needs a verified signature");
                assertTrue(unsigned.trust().reason().startsWith("no valid signature: it has no signature"), unsigned.trust().reason());
                install(host, "optional", unsigned);
                assertTrue(host.store().policy("optional").environmentAllow().isEmpty());
                assertTrue(host.store().declaredPolicy("optional").isPresent());
                assertNull(host.store().origin("optional").signedBy());
                assertEquals(optional, host.store().origin("optional").digest());
            }
        }
    }

    @Test
    void refusedArtifactsLeaveTheStoreAsItWas() throws Exception {
        Cosign.Key mallory = cosign.generateKeyPair("mallory");
        try (TestRegistry registry = TestRegistry.withReferrers(dir.resolve("registry"))) {
            String unsigned = push(registry, "applied/types:unsigned");
            Files.writeString(dir.resolve("policy.yaml"), DECLARED.replace("HOME", "PATH"));
            String forged = push(registry, "applied/types:forged");
            cosign.signBundle(mallory, registry.address() + "/applied/types@" + forged);
            cosign.signLegacy(mallory, registry.address() + "/applied/types@" + forged);

            try (ComponentHost host = host(trust(registry.address()))) {
                ComponentSources.SourceException none = assertThrows(ComponentSources.SourceException.class,
                        () -> fetch(host, registry.ref("applied/types:unsigned")));
                assertEquals(registry.ref("applied/types:unsigned") + " (" + unsigned + ") is refused: the trust policy requires a signature by acme for "
                        + registry.address() + "/applied, and it has no signature (no tag sha256-" + unsigned.substring(7)
                        + ".sig, no Sigstore bundle among its referrers); nothing was stored", none.getMessage());

                ComponentSources.SourceException wrongKey = assertThrows(ComponentSources.SourceException.class,
                        () -> fetch(host, registry.ref("applied/types:forged")));
                assertTrue(wrongKey.getMessage().startsWith(registry.ref("applied/types:forged") + " (" + forged + ") is refused"), wrongKey.getMessage());
                assertTrue(wrongKey.getMessage().contains("not signed by the trusted key acme"), wrongKey.getMessage());

                assertFalse(host.store().contains("types"));
                try (Stream<Path> files = Files.exists(dir.resolve("components")) ? Files.list(dir.resolve("components")) : Stream.empty()) {
                    assertEquals(List.of(), files.toList(), "nothing stored: no component, no declaration, no origin");
                }
            }
        }
    }

    @Test
    void aProvisioningManifestEntryIsHeldToTheTrustPolicy() throws Exception {
        try (TestRegistry registry = TestRegistry.withReferrers(dir.resolve("registry"))) {
            String signed = push(registry, "shown/types:1.0");
            cosign.signBundle(acme, registry.address() + "/shown/types@" + signed);
            Files.writeString(dir.resolve("policy.yaml"), DECLARED.replace("HOME", "TERM"));
            String unsigned = push(registry, "shown/other:1.0");
            try (ComponentHost host = host(trust(registry.address()))) {
                ProvisioningManifest both = ProvisioningManifest.read(Files.writeString(dir.resolve("manifest.yaml"), """
                        components:
                          - uri: %s
                            digest: %s
                          - uri: %s
                            digest: %s
                        """.formatted(registry.ref("shown/types:1.0"), signed, registry.ref("shown/other:1.0"), unsigned)));
                Provisioner.ProvisioningException e = assertThrows(Provisioner.ProvisioningException.class,
                        () -> Provisioner.provision(host, both, false, candidate -> { }));
                assertEquals(1, e.problems().size(), e.problems().toString());
                assertTrue(e.problems().getFirst().startsWith(dir.resolve("manifest.yaml") + ":4: component \"other\" (entry 2, " + registry.ref("shown/other:1.0") + "): "
                        + registry.ref("shown/other:1.0") + " (" + unsigned + ") is refused: the trust policy requires a signature by acme"),
                        e.problems().getFirst());
                assertFalse(host.store().contains("types"), "all or nothing: the signed entry was not stored either");

                var loaded = Provisioner.provision(host, both, true, candidate -> { });
                assertEquals(List.of("types"), loaded.provisioned());
                assertTrue(host.store().origin("types").signedBy().startsWith("acme (sha256:"));
            }
        }
    }
}

package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Cosign;
import dev.wassette.RegistryTools;
import dev.wassette.TestRegistry;
import dev.wassette.source.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signatures from the shell, as processes with their own XDG directories: {@code wassette
 * component verify} says who signed which digest in which form (exit 0) or why nothing verified
 * (exit 1); {@code component load} and {@code call} refuse an unsigned artifact where the trust
 * policy ({@code --trust-policy}, or {@code [trust]} in config.toml) requires a signature, storing
 * nothing, and load a signed one (its declaration applied where the rule says so); a trust policy
 * that asks for keyless verification is refused.
 */
class SignaturesCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private IsolatedCli cli;

    @BeforeEach
    void environment() throws Exception {
        cli = new IsolatedCli(tmp);
    }

    private RegistryTools.Result wassette(String... args) {
        return cli.run(args);
    }

    /** The fingerprint the trust policy shows for a cosign.pub: sha256 of its DER. */
    private static String fingerprint(Cosign.Key key) {
        String pem = key.publicPem().replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Digest.sha256(Base64.getDecoder().decode(pem)).toString();
    }

    @Test
    void verifyLoadAndCallUnderATrustPolicy() throws Exception {
        Cosign cosign = new Cosign(tmp.resolve("cosign"));
        Cosign.Key acme = cosign.generateKeyPair("acme");
        Path components = tmp.resolve("data/wassette/components");
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            String signed = registry.wkgPush(tmp.resolve("types.wasm"), "tools/types:1.0");
            String declared = registry.orasPush(tmp, "tools/declared:1.0", "config.json:application/vnd.wasm.config.v0+json",
                    "types.wasm:application/wasm", "policy.yaml:application/vnd.wasm.policy.v1+yaml");
            String unsigned = registry.orasPush(tmp, "tools/unsigned:1.0", "config.json:application/vnd.wasm.config.v0+json", "types.wasm:application/wasm");
            cosign.signLegacy(acme, registry.address() + "/tools/types@" + signed);
            cosign.signBundle(acme, registry.address() + "/tools/declared@" + declared);
            Files.writeString(tmp.resolve("trust.toml"), """
                    [keys]
                    acme = "cosign/acme.pub"

                    [[rules]]
                    prefix = "%s/tools"
                    keys = ["acme"]
                    apply_declared_permissions = true
                    """.formatted(registry.address()));
            String trust = tmp.resolve("trust.toml").toString();

            RegistryTools.Result verify = wassette("component", "verify", registry.ref("tools/types:1.0"), "--trust-policy", trust);
            assertEquals(0, verify.code(), verify.output());
            String sigTag = "sha256-" + signed.substring(7) + ".sig";
            assertTrue(verify.output().contains(registry.ref("tools/types:1.0") + "\n  digest: " + signed + "\n  trust policy: " + registry.address()
                    + "/tools (signature required, by acme; a verified artifact's declared permissions are applied)\n"), verify.output());
            assertTrue(verify.output().contains("  valid:   cosign signature (tag " + sigTag + ", layer 0, simple-signing payload): signed by acme ("
                    + fingerprint(acme) + ")"), verify.output());
            assertTrue(verify.output().contains("verified: " + signed + " signed by acme (ECDSA P-256, " + fingerprint(acme) + "), cosign signature"),
                    verify.output());
            RegistryTools.Result bundle = wassette("component", "verify", registry.ref("tools/declared:1.0"), "--trust-policy", trust);
            assertEquals(0, bundle.code(), bundle.output());
            assertTrue(bundle.output().contains("verified: " + declared + " signed by acme (ECDSA P-256, " + fingerprint(acme)
                    + "), Sigstore bundle (referrers tag)"), bundle.output());

            RegistryTools.Result notSigned = wassette("component", "verify", registry.ref("tools/unsigned:1.0"), "--trust-policy", trust);
            assertEquals(1, notSigned.code(), notSigned.output());
            assertTrue(notSigned.output().contains("not verified: it has no signature (no tag sha256-" + unsigned.substring(7)
                    + ".sig, no Sigstore bundle among its referrers) (a signature is required: loading it is refused)"), notSigned.output());
            RegistryTools.Result noPolicy = wassette("component", "verify", registry.ref("tools/types:1.0"));
            assertEquals(1, noPolicy.code(), noPolicy.output());
            assertTrue(noPolicy.output().contains("not verified: the trust policy names no key for " + registry.address() + "/tools/types"), noPolicy.output());

            RegistryTools.Result refused = wassette("component", "load", registry.ref("tools/unsigned:1.0"), "--trust-policy", trust);
            assertEquals(3, refused.code(), refused.output());
            assertTrue(refused.output().contains("error: " + registry.ref("tools/unsigned:1.0") + " (" + unsigned + ") is refused: the trust policy "
                    + "requires a signature by acme for " + registry.address() + "/tools, and it has no signature"), refused.output());
            assertFalse(Files.exists(components.resolve("unsigned.wasm")), "nothing stored");

            RegistryTools.Result load = wassette("component", "load", registry.ref("tools/declared:1.0"), "--trust-policy", trust);
            assertEquals(0, load.code(), load.output());
            assertTrue(load.output().contains("  signature: verified, signed by acme (" + fingerprint(acme) + "), Sigstore bundle (referrers tag)"),
                    load.output());
            assertTrue(load.output().contains("declared permissions (sha256:") && load.output().contains("), granted:"), load.output());
            assertEquals(List.of("API_KEY"), dev.wassette.policy.PolicyParser.parse(components.resolve("declared.policy.yaml")).environmentAllow(),
                    "signed, under a rule that applies declarations: the declaration is the policy");
            RegistryTools.Result list = wassette("component", "list", "-o", "json");
            JsonNode row = JSON.readTree(list.output().substring(list.output().indexOf('['))).get(0);
            assertEquals("acme (" + fingerprint(acme) + "), Sigstore bundle (referrers tag)", row.path("signed_by").asText(), list.output());

            // The same trust policy from config.toml's [trust] table, for call.
            Path config = Files.createDirectories(tmp.resolve("config/wassette"));
            Files.copy(acme.publicKey(), config.resolve("acme.pub"));
            Files.writeString(config.resolve("config.toml"), """
                    [trust.keys]
                    acme = "acme.pub"

                    [[trust.rules]]
                    prefix = "%s/tools"
                    keys = ["acme"]
                    """.formatted(registry.address()));
            RegistryTools.Result call = wassette("call", registry.ref("tools/types:1.0"), "wassette:fixtures/types@0.1.0#add", "--args", "{\"a\":2,\"b\":3}");
            assertEquals(0, call.code(), call.output());
            assertTrue(call.output().contains("  signature: verified, cosign signature (tag " + sigTag), call.output());
            assertTrue(call.output().strip().endsWith("5"), call.output());
            RegistryTools.Result callUnsigned = wassette("call", registry.ref("tools/unsigned:1.0"), "wassette:fixtures/types@0.1.0#add",
                    "--args", "{\"a\":2,\"b\":3}");
            assertEquals(3, callUnsigned.code(), callUnsigned.output());
            assertTrue(callUnsigned.output().contains("(" + unsigned + ") is refused: the trust policy requires a signature by acme"), callUnsigned.output());
            assertFalse(callUnsigned.output().strip().endsWith("5"), callUnsigned.output());
        }
    }

    @Test
    void aTrustPolicyAskingForKeylessIsRefused() throws Exception {
        Files.writeString(tmp.resolve("keyless.toml"), """
                [[rules]]
                prefix = "ghcr.io/acme"
                certificate_identity = "release@acme.example"
                certificate_oidc_issuer = "https://accounts.google.com"
                """);
        String expected = "keyless.toml: rule 1 (ghcr.io/acme): \"certificate_";
        for (String[] args : new String[][] {
                {"component", "load", "oci://ghcr.io/acme/tools:1.0", "--trust-policy", "keyless.toml"},
                {"component", "verify", "oci://ghcr.io/acme/tools:1.0", "--trust-policy", "keyless.toml"},
                {"call", "oci://ghcr.io/acme/tools:1.0", "add", "--trust-policy", "keyless.toml"},
                {"run", "--trust-policy", "keyless.toml"}}) {
            RegistryTools.Result r = wassette(args);
            assertEquals(3, r.code(), String.join(" ", args) + ":\n" + r.output());
            assertTrue(r.output().contains(expected) && r.output().contains("keyless signatures (Fulcio certificates, the Rekor transparency log)")
                    && r.output().contains("not supported"), String.join(" ", args) + ":\n" + r.output());
            assertFalse(r.output().contains("Exception"), r.output());
        }
    }
}

package dev.wassette.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.Cosign;
import dev.wassette.FakeRegistry;
import dev.wassette.Fixtures;
import dev.wassette.TestRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cosign signatures made by the real cosign (v2: the legacy {@code sha256-<hex>.sig} tag; v3:
 * Sigstore bundles) on artifacts pushed by wkg and oras to real registries, verified offline
 * against a trust policy: through the OCI referrers API (go-containerregistry's registry with it
 * switched on) and through the referrers tag (the CNCF registry has no referrers API); every key
 * type cosign signs with; signatures by another key,
 * signatures naming another digest and unsigned artifacts refused with the reference, the digest
 * and why; a verified pull verified again offline from the cache.
 */
class SignatureVerificationTest {
    @TempDir
    Path tmp;
    private Cosign cosign;

    @BeforeEach
    void fixtures() throws Exception {
        Files.copy(Fixtures.path("types.wasm"), tmp.resolve("types.wasm"));
        Files.copy(Fixtures.path("io.wasm"), tmp.resolve("io.wasm"));
        Files.writeString(tmp.resolve("config.json"), "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}");
        cosign = new Cosign(tmp.resolve("cosign"));
    }

    /** A trust policy file: {@code keys} by name (their cosign.pub files), one rule for {@code prefix}. */
    private TrustPolicy trust(String prefix, boolean require, Map<String, Cosign.Key> keys) throws Exception {
        StringBuilder toml = new StringBuilder("[keys]\n");
        keys.forEach((name, key) -> toml.append(name).append(" = \"").append(key.publicKey()).append("\"\n"));
        toml.append("[[rules]]\nprefix = \"").append(prefix).append("\"\nkeys = [")
                .append(String.join(", ", keys.keySet().stream().map(k -> "\"" + k + "\"").toList()))
                .append("]\nrequire_signature = ").append(require).append('\n');
        return TrustPolicy.read(Files.writeString(tmp.resolve("trust-" + keys.keySet().iterator().next() + ".toml"), toml));
    }

    private ComponentFetcher fetcher(TrustPolicy policy) {
        return new ComponentFetcher(SourceSettings.defaults(tmp.resolve("cache")).withTrustPolicy(policy));
    }

    /** Pulls {@code ref} and checks its signatures, as loading does. */
    private SignatureVerifier.Result pullAndVerify(ComponentFetcher fetcher, String ref) throws SourceException {
        FetchedComponent f = fetcher.fetch(ComponentSource.parse(ref, tmp, null), RegistryCredentials.none(), Progress.NONE);
        return fetcher.verifySignatures(f, RegistryCredentials.none());
    }

    private static String image(TestRegistry registry, String repository, String digest) {
        return registry.address() + "/" + repository + "@" + digest;
    }

    @Test
    void legacySignatureOfAWkgPushedArtifactThenOfflineFromTheCache() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        TrustPolicy policy;
        String digest;
        String address;
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            address = registry.address();
            digest = registry.wkgPush(tmp.resolve("types.wasm"), "tools/types:1.0");
            policy = trust(address + "/tools", true, Map.of("acme", acme));
            String ref = registry.ref("tools/types:1.0");

            SignatureVerifier.Result unsigned = pullAndVerify(fetcher(policy), ref);
            assertFalse(unsigned.accepted());
            SourceException refused = assertThrows(SourceException.class, unsigned::requireAccepted);
            assertEquals(ref + " (" + digest + ") is refused: the trust policy requires a signature by acme for " + address + "/tools, and it has "
                    + "no signature (no tag sha256-" + digest.substring(7) + ".sig, no Sigstore bundle among its referrers); nothing was stored",
                    refused.getMessage());

            cosign.signLegacy(acme, image(registry, "tools/types", digest));
            SignatureVerifier.Result r = pullAndVerify(fetcher(policy), ref);
            assertTrue(r.accepted(), r.reason());
            SignatureVerifier.Found found = r.verified();
            assertNotNull(found, r.reason());
            assertEquals(SignatureVerifier.Form.COSIGN_TAG, found.form());
            assertEquals("acme", found.signer().name());
            assertEquals("ECDSA P-256", found.signer().kind());
            assertEquals(policy.keys().get("acme").fingerprint(), found.signer().fingerprint());
            assertEquals("tag sha256-" + digest.substring(7) + ".sig, layer 0", found.where());
            assertEquals(digest, r.digest().toString());
            assertFalse(r.fromCache());
            assertTrue(r.reason().startsWith("signature verified offline: cosign signature (tag sha256-"), r.reason());
        }
        // The registry is gone: a pull by the pinned digest comes from the cache, and so does its signature.
        SignatureVerifier.Result offline = pullAndVerify(fetcher(policy), "oci://" + address + "/tools/types@" + digest);
        assertTrue(offline.fromCache());
        assertEquals("acme", offline.verified().signer().name());
        // Verified again from the evidence, against the keys in force now: another key does not verify it.
        Cosign.Key other = cosign.generateKeyPair("other");
        SignatureVerifier.Result otherKey = pullAndVerify(fetcher(trust(address + "/tools", true, Map.of("other", other))),
                "oci://" + address + "/tools/types@" + digest);
        assertNull(otherKey.verified());
        assertFalse(otherKey.accepted());
        assertTrue(otherKey.whyNot().contains("cannot reach " + address) || otherKey.whyNot().contains("could not be looked up"), otherKey.whyNot());
    }

    @Test
    void sigstoreBundleThroughTheReferrersApiAndAMessageSignature() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        try (TestRegistry registry = TestRegistry.withReferrers(tmp.resolve("registry"))) {
            String digest = registry.orasPush(tmp, "tools/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            cosign.signBundle(acme, image(registry, "tools/types", digest));
            TrustPolicy policy = trust(registry.address(), true, Map.of("acme", acme));

            SignatureVerifier.Result r = pullAndVerify(fetcher(policy), registry.ref("tools/types:1.0"));
            assertEquals(1, r.signatures().size(), r.signatures().toString());
            SignatureVerifier.Found found = r.verified();
            assertNotNull(found, r.reason());
            assertEquals(SignatureVerifier.Form.BUNDLE_REFERRERS, found.form(), "the registry has the referrers API: it is used, not the tag");
            assertEquals("in-toto statement (https://sigstore.dev/cosign/sign/v1)", found.content());
            assertEquals("acme", found.signer().name());

            // cosign sign-blob of the manifest's bytes, attached as a referrer: a bundle with a message signature.
            byte[] manifest;
            try (RegistryClient client = new RegistryClient(SourceSettings.defaults(tmp.resolve("cache")), RegistryCredentials.none())) {
                manifest = client.manifest(OciReference.parse(registry.ref("tools/types@" + digest))).bytes();
            }
            Path bundle = cosign.signBlob(acme, Files.write(tmp.resolve("manifest.json"), manifest), tmp.resolve("manifest.sigstore.json"));
            registry.orasAttach(bundle, "tools/types@" + digest, "application/vnd.dev.sigstore.bundle.v0.3+json");
            // Verified at the registry (a pull by digest from the cache would be verified from the cached evidence).
            SignatureVerifier.Result both = fetcher(policy).verifyReference((ComponentSource.Oci) ComponentSource.parse(
                    registry.ref("tools/types@" + digest), tmp, null), RegistryCredentials.none());
            assertEquals(2, both.signatures().size(), both.signatures().toString());
            assertTrue(both.signatures().stream().allMatch(SignatureVerifier.Found::verified), both.signatures().toString());
            assertTrue(both.signatures().stream().anyMatch(f -> "message signature".equals(f.content())), both.signatures().toString());
        }
    }

    @Test
    void sigstoreBundleThroughTheReferrersTagWhereTheRegistryLacksTheApi() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            String digest = registry.wkgPush(tmp.resolve("types.wasm"), "tools/types:1.0");
            cosign.signBundle(acme, image(registry, "tools/types", digest));
            SignatureVerifier.Result r = pullAndVerify(fetcher(trust(registry.address() + "/tools/types", true, Map.of("acme", acme))),
                    registry.ref("tools/types:1.0"));
            SignatureVerifier.Found found = r.verified();
            assertNotNull(found, r.reason());
            assertEquals(SignatureVerifier.Form.BUNDLE_TAG, found.form());
            assertTrue(found.where().startsWith("tag sha256-" + digest.substring(7) + ", referrer sha256:"), found.where());
        }
    }

    @Test
    void everyKeyTypeCosignSignsWithInBothForms() throws Exception {
        KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(3072);
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPairGenerator p521 = KeyPairGenerator.getInstance("EC");
        p521.initialize(new ECGenParameterSpec("secp521r1"));
        Map<String, Cosign.Key> keys = Map.of("p256", cosign.generateKeyPair("p256"), "ed25519", cosign.importKeyPair("ed25519", ed.generateKeyPair()),
                "rsa", cosign.importKeyPair("rsa", rsa.generateKeyPair()), "p384", cosign.importKeyPair("p384", p384.generateKeyPair()),
                "p521", cosign.importKeyPair("p521", p521.generateKeyPair()));
        try (TestRegistry registry = TestRegistry.withReferrers(tmp.resolve("registry"))) {
            String digest = registry.orasPush(tmp, "tools/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            for (Cosign.Key key : keys.values()) {
                cosign.signLegacy(key, image(registry, "tools/types", digest));
                cosign.signBundle(key, image(registry, "tools/types", digest));
            }
            for (var e : keys.entrySet()) {
                // Trusting one key: its two signatures verify, the other keys' eight do not.
                SignatureVerifier.Result r = fetcher(trust(registry.address(), true, Map.of(e.getKey(), e.getValue()))).verifyReference(
                        (ComponentSource.Oci) ComponentSource.parse(registry.ref("tools/types@" + digest), tmp, null), RegistryCredentials.none());
                assertEquals(10, r.signatures().size(), r.signatures().toString());
                List<SignatureVerifier.Found> valid = r.signatures().stream().filter(SignatureVerifier.Found::verified).toList();
                assertEquals(2, valid.size(), e.getKey() + ": " + r.signatures());
                assertTrue(valid.stream().anyMatch(f -> f.form() == SignatureVerifier.Form.COSIGN_TAG), e.getKey() + ": " + valid);
                assertTrue(valid.stream().anyMatch(f -> f.form() == SignatureVerifier.Form.BUNDLE_REFERRERS), e.getKey() + ": " + valid);
                assertTrue(valid.stream().allMatch(f -> f.signer().name().equals(e.getKey())));
                assertTrue(r.signatures().stream().filter(f -> !f.verified()).allMatch(f -> f.problem().equals("not signed by the trusted key " + e.getKey())),
                        r.signatures().toString());
            }
        }
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        Cosign.Key mallory = cosign.generateKeyPair("mallory");
        try (TestRegistry registry = TestRegistry.withReferrers(tmp.resolve("registry"))) {
            String digest = registry.orasPush(tmp, "tools/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            cosign.signLegacy(mallory, image(registry, "tools/types", digest));
            cosign.signBundle(mallory, image(registry, "tools/types", digest));
            SignatureVerifier.Result r = pullAndVerify(fetcher(trust(registry.address(), true, Map.of("acme", acme))), registry.ref("tools/types:1.0"));
            assertNull(r.verified());
            String why = assertThrows(SourceException.class, r::requireAccepted).getMessage();
            assertTrue(why.startsWith(registry.ref("tools/types:1.0") + " (" + digest + ") is refused: the trust policy requires a signature by acme"), why);
            assertTrue(why.contains("cosign signature (tag sha256-" + digest.substring(7) + ".sig, layer 0, simple-signing payload): not signed by the trusted key acme"), why);
            assertTrue(why.contains("Sigstore bundle (OCI referrers API) (referrer sha256:") && why.contains("DSSE envelope): not signed by the trusted key acme"), why);
            assertTrue(why.endsWith("; nothing was stored"), why);
        }
    }

    @Test
    void aSignatureNamingAnotherDigestIsRefused() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        try (TestRegistry registry = TestRegistry.withReferrers(tmp.resolve("registry"))) {
            String signed = registry.orasPush(tmp, "tools/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            String other = registry.orasPush(tmp, "tools/types:2.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "io.wasm:application/wasm");
            cosign.signLegacy(acme, image(registry, "tools/types", signed));
            cosign.signBundle(acme, image(registry, "tools/types", signed));
            TrustPolicy policy = trust(registry.address(), true, Map.of("acme", acme));
            assertNotNull(pullAndVerify(fetcher(policy), registry.ref("tools/types:1.0")).verified());

            // Copy the signed tag's .sig manifest to the other digest's .sig tag, and make a referrer of the
            // other digest that carries the signed digest's bundle.
            SignatureVerifier.Result found = pullAndVerify(fetcher(policy), registry.ref("tools/types:1.0"));
            RegistryClient.Manifest sig;
            RegistryClient.Manifest referrer;
            try (RegistryClient client = new RegistryClient(SourceSettings.defaults(tmp.resolve("cache")), RegistryCredentials.none())) {
                sig = client.manifest(OciReference.parse(registry.ref("tools/types:" + SignatureVerifier.signatureTag(Digest.parse(signed)))));
                referrer = client.manifest(OciReference.parse(registry.ref("tools/types@" + found.signatures().stream()
                        .filter(f -> f.form() == SignatureVerifier.Form.BUNDLE_REFERRERS).findFirst().orElseThrow().manifest())));
            }
            registry.orasPushManifest(Files.write(tmp.resolve("sig.json"), sig.bytes()),
                    "tools/types:" + SignatureVerifier.signatureTag(Digest.parse(other)), sig.mediaType());
            ObjectNode forged = (ObjectNode) referrer.json();
            ((ObjectNode) forged.get("subject")).put("digest", other);
            registry.orasPushManifest(Files.write(tmp.resolve("forged.json"), FakeRegistry.JSON.writeValueAsBytes(forged)), "tools/types:forged",
                    RegistryClient.OCI_MANIFEST);

            SignatureVerifier.Result r = pullAndVerify(fetcher(policy), registry.ref("tools/types:2.0"));
            assertNull(r.verified(), r.reason());
            String why = assertThrows(SourceException.class, r::requireAccepted).getMessage();
            assertTrue(why.startsWith(registry.ref("tools/types:2.0") + " (" + other + ") is refused"), why);
            assertTrue(why.contains("simple-signing payload): signed by acme, but its payload names " + signed + ", not the digest pulled"), why);
            assertTrue(why.contains("in-toto statement (https://sigstore.dev/cosign/sign/v1)): signed by acme, but it names sha256:" + signed.substring(7)
                    + ", not the digest pulled"), why);
        }
    }

    @Test
    void unsignedIsAllowedWhereNotRequiredAndReportedAsUnverified() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            String digest = registry.wkgPush(tmp.resolve("types.wasm"), "tools/types:1.0");
            ComponentFetcher fetcher = fetcher(trust(registry.address(), false, Map.of("acme", acme)));
            FetchedComponent f = fetcher.fetch(ComponentSource.parse(registry.ref("tools/types:1.0"), tmp, null), RegistryCredentials.none(), Progress.NONE);
            assertArrayEquals(Files.readAllBytes(tmp.resolve("types.wasm")), f.bytes());
            SignatureVerifier.Result r = fetcher.verifySignatures(f, RegistryCredentials.none());
            assertTrue(r.accepted());
            assertNull(r.verified());
            assertFalse(r.appliesDeclaration());
            r.requireAccepted();
            assertEquals("no valid signature: it has no signature (no tag sha256-" + digest.substring(7) + ".sig, no Sigstore bundle among its "
                    + "referrers); trust policy rule " + registry.address() + " (signature by acme checked, not required)", r.reason());

            // No rule for the reference: nothing is looked up.
            SignatureVerifier.Result none = fetcher(TrustPolicy.NONE).verifySignatures(f, RegistryCredentials.none());
            assertTrue(none.accepted());
            assertNull(none.rule());
            assertEquals("no trust policy rule for " + registry.address() + "/tools/types: no signature checked", none.reason());
        }
    }

    /** Passes GETs on to a registry, except the referrers API, which answers 500. */
    private static final class FailingReferrers implements AutoCloseable {
        private final com.sun.net.httpserver.HttpServer server;
        private final java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();

        FailingReferrers(String upstream) throws java.io.IOException {
            server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/v2/", ex -> {
                try (ex) {
                    if (ex.getRequestURI().getPath().contains("/referrers/")) {
                        FakeRegistry.respond(ex, 500, "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"referrers index unavailable\"}]}"
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        return;
                    }
                    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + upstream + ex.getRequestURI().getRawPath()));
                    String accept = ex.getRequestHeaders().getFirst("Accept");
                    if (accept != null) {
                        request.header("Accept", accept);
                    }
                    var r = client.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                    for (String h : List.of("Content-Type", "Docker-Content-Digest")) {
                        r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
                    }
                    FakeRegistry.respond(ex, r.statusCode(), r.body());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.IOException(e);
                }
            });
            server.start();
        }

        String address() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void aFailingReferrersApiDoesNotHideALegacySignatureAndIsNamedWhenNothingElseVerifies() throws Exception {
        Cosign.Key acme = cosign.generateKeyPair("acme");
        try (TestRegistry registry = TestRegistry.withReferrers(tmp.resolve("registry"))) {
            String both = registry.orasPush(tmp, "tools/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            String bundleOnly = registry.orasPush(tmp, "tools/other:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            cosign.signLegacy(acme, image(registry, "tools/types", both));
            cosign.signBundle(acme, image(registry, "tools/types", both));
            cosign.signBundle(acme, image(registry, "tools/other", bundleOnly));
            try (FailingReferrers proxy = new FailingReferrers(registry.address())) {
                TrustPolicy policy = trust(proxy.address(), true, Map.of("acme", acme));
                SignatureVerifier.Result r = pullAndVerify(fetcher(policy), "oci://" + proxy.address() + "/tools/types:1.0");
                assertEquals(SignatureVerifier.Form.COSIGN_TAG, r.verified().form(), r.reason());
                assertTrue(r.accepted());
                assertTrue(r.lookupProblem().contains("answered HTTP 500: UNKNOWN referrers index unavailable"), r.lookupProblem());

                SignatureVerifier.Result none = pullAndVerify(fetcher(policy), "oci://" + proxy.address() + "/tools/other:1.0");
                String why = assertThrows(SourceException.class, none::requireAccepted).getMessage();
                assertTrue(why.startsWith("oci://" + proxy.address() + "/tools/other:1.0 (" + bundleOnly + ") is refused: the trust policy requires a "
                        + "signature by acme for " + proxy.address() + ", and the signatures could not be looked up: "), why);
                assertTrue(why.contains("HTTP 500: UNKNOWN referrers index unavailable"), why);
            }
        }
    }
}

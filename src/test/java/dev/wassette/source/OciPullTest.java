package dev.wassette.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.FakeRegistry;
import dev.wassette.Fixtures;
import dev.wassette.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls from real registries (the CNCF distribution registry, go-containerregistry's) started by
 * the test, of artifacts pushed by the real tools: {@code wkg oci push}, {@code oras push} (the
 * same layout, and Wassette's with a policy layer), an image index, htpasswd basic auth, and the
 * bearer-token flow; then the same digest again from the cache with the registry gone.
 */
class OciPullTest {
    private static final String POLICY = """
            version: "1.0"
            description: what the types fixture would like
            permissions:
              network:
                allow:
                  - host: api.example.com
            """;

    @TempDir
    Path tmp;
    private byte[] types;

    @BeforeEach
    void fixtures() throws Exception {
        types = Files.readAllBytes(Fixtures.path("types.wasm"));
        Files.copy(Fixtures.path("types.wasm"), tmp.resolve("types.wasm"));
        Files.copy(Fixtures.path("io.wasm"), tmp.resolve("io.wasm"));
        Files.writeString(tmp.resolve("config.json"), "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}");
        Files.writeString(tmp.resolve("policy.yaml"), POLICY);
    }

    private ComponentFetcher fetcher() {
        return new ComponentFetcher(SourceSettings.defaults(tmp.resolve("cache")));
    }

    private FetchedComponent fetch(String ref, RegistryCredentials credentials, Progress progress) throws SourceException {
        return fetcher().fetch(ComponentSource.parse(ref, tmp, null), credentials, progress);
    }

    private FetchedComponent fetch(String ref) throws SourceException {
        return fetch(ref, RegistryCredentials.none(), Progress.NONE);
    }

    /** The manifest as the registry has it, through our client. */
    private JsonNode manifest(String ref) throws SourceException {
        try (RegistryClient client = new RegistryClient(SourceSettings.defaults(tmp.resolve("cache")), RegistryCredentials.none())) {
            return client.manifest(OciReference.parse(ref)).json();
        }
    }

    @Test
    void wkgPushedComponentThenTheSameDigestOffline() throws Exception {
        String digest;
        String address;
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            address = registry.address();
            digest = registry.wkgPush(tmp.resolve("types.wasm"), "wassette/types:1.0");
            JsonNode written = manifest(registry.ref("wassette/types:1.0"));
            assertEquals(ComponentFetcher.WASM_CONFIG, written.path("config").path("mediaType").asText(), written.toString());
            assertEquals("application/wasm", written.path("layers").get(0).path("mediaType").asText(), written.toString());

            List<long[]> updates = new ArrayList<>();
            FetchedComponent f = fetch(registry.ref("wassette/types:1.0"), RegistryCredentials.none(), (what, done, total) -> updates.add(new long[] {done, total}));
            assertArrayEquals(types, f.bytes());
            assertEquals(digest, f.digest().toString());
            assertEquals(Digest.sha256(types), f.componentDigest());
            assertEquals("oci://" + address + "/wassette/types@" + digest, f.resolved());
            assertNull(f.declaredPolicy());
            assertFalse(f.offline());
            assertTrue(updates.stream().anyMatch(u -> u[0] == types.length && u[1] == types.length), "progress reached the component's size");
        }
        // The registry is gone: the pinned digest comes from the cache, offline; the tag cannot be resolved.
        long start = System.nanoTime();
        FetchedComponent again = fetch("oci://" + address + "/wassette/types@" + digest);
        assertTrue(again.offline());
        assertArrayEquals(types, again.bytes());
        assertTrue((System.nanoTime() - start) / 1_000_000 < 2_000, "served from the cache at once");
        SourceException down = assertThrows(SourceException.class, () -> fetch("oci://" + address + "/wassette/types:1.0"));
        assertTrue(down.getMessage().contains("cannot reach " + address), down.getMessage());
        // A tag with the digest pinned beside it is a pull by digest: offline too.
        FetchedComponent pinned = fetcher().fetch(ComponentSource.parse("oci://" + address + "/wassette/types:1.0", tmp, Digest.parse(digest)),
                RegistryCredentials.none(), Progress.NONE);
        assertTrue(pinned.offline());
    }

    @Test
    void orasPushedComponentFromGoContainerRegistry() throws Exception {
        try (TestRegistry registry = TestRegistry.ggcr(tmp.resolve("registry"))) {
            String digest = registry.orasPush(tmp, "wassette/types:oras", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            FetchedComponent f = fetch(registry.ref("wassette/types:oras"));
            assertArrayEquals(types, f.bytes());
            assertEquals(digest, f.digest().toString());

            // oras's own defaults (an artifact type, the empty config) with the component layer.
            String bare = registry.orasPush(tmp, "wassette/types:bare", null, "types.wasm:application/wasm");
            assertEquals("application/vnd.oci.empty.v1+json", manifest(registry.ref("wassette/types:bare")).path("config").path("mediaType").asText());
            assertEquals(bare, fetch(registry.ref("wassette/types:bare")).digest().toString());

            // A file pushed without a media type is a tar layer to oras: not a component.
            registry.orasPush(tmp, "wassette/types:untyped", null, "types.wasm");
            SourceException untyped = assertThrows(SourceException.class, () -> fetch(registry.ref("wassette/types:untyped")));
            assertTrue(untyped.getMessage().contains("unsupported media type \"application/vnd.oci.image.layer.v1.tar\""), untyped.getMessage());
        }
    }

    @Test
    void wassetteLayoutKeepsTheDeclaredPolicyAsData() throws Exception {
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            registry.orasPush(tmp, "wassette/types:policy", "config.json:" + ComponentFetcher.WASM_CONFIG,
                    "types.wasm:application/wasm", "policy.yaml:" + ComponentFetcher.POLICY_LAYER);
            FetchedComponent f = fetch(registry.ref("wassette/types:policy"));
            assertArrayEquals(types, f.bytes());
            assertEquals(POLICY, f.declaredPolicy());
            assertEquals(ComponentFetcher.POLICY_LAYER, f.declaredPolicyMediaType());

            registry.orasPush(tmp, "wassette/types:legacy", "config.json:" + ComponentFetcher.WASM_CONFIG,
                    "types.wasm:application/wasm", "policy.yaml:" + ComponentFetcher.LEGACY_POLICY_LAYER);
            FetchedComponent legacy = fetch(registry.ref("wassette/types:legacy"));
            assertEquals(POLICY, legacy.declaredPolicy());
            assertEquals(ComponentFetcher.LEGACY_POLICY_LAYER, legacy.declaredPolicyMediaType());
        }
    }

    @Test
    void anImageIndexResolvesToItsWasip2Entry() throws Exception {
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            String wasm = registry.wkgPush(tmp.resolve("types.wasm"), "wassette/multi:wasm");
            String other = registry.orasPush(tmp, "wassette/multi:other", "config.json:" + ComponentFetcher.WASM_CONFIG, "io.wasm:application/wasm");
            ObjectNode index = FakeRegistry.JSON.createObjectNode();
            index.put("schemaVersion", 2);
            index.put("mediaType", RegistryClient.OCI_INDEX);
            var entries = index.putArray("manifests");
            entries.add(entry(registry, "wassette/multi:other", other, "linux", "amd64"));
            entries.add(entry(registry, "wassette/multi:wasm", wasm, "wasip2", "wasm"));
            Path file = Files.write(tmp.resolve("index.json"), FakeRegistry.JSON.writeValueAsBytes(index));
            String indexDigest = registry.orasPushManifest(file, "wassette/multi:1.0", RegistryClient.OCI_INDEX);

            FetchedComponent f = fetch(registry.ref("wassette/multi:1.0"));
            assertArrayEquals(types, f.bytes(), "the wasip2 entry's component, not the linux one's");
            assertEquals(indexDigest, f.digest().toString(), "the digest is the index's: what was asked for and what a signature names");

            entries.remove(1);
            Path noWasm = Files.write(tmp.resolve("index-linux.json"), FakeRegistry.JSON.writeValueAsBytes(index));
            registry.orasPushManifest(noWasm, "wassette/multi:linux-only", RegistryClient.OCI_INDEX);
            SourceException e = assertThrows(SourceException.class, () -> fetch(registry.ref("wassette/multi:linux-only")));
            assertTrue(e.getMessage().contains("is an image index with no wasm/wasip2 entry (it has: linux/amd64)"), e.getMessage());
        }
    }

    private ObjectNode entry(TestRegistry registry, String ref, String digest, String os, String architecture) throws Exception {
        RegistryClient.Manifest m;
        try (RegistryClient client = new RegistryClient(SourceSettings.defaults(tmp.resolve("cache")), RegistryCredentials.none())) {
            m = client.manifest(OciReference.parse(registry.ref(ref)));
        }
        ObjectNode e = FakeRegistry.JSON.createObjectNode();
        e.put("mediaType", m.mediaType());
        e.put("digest", digest);
        e.put("size", m.bytes().length);
        e.putObject("platform").put("os", os).put("architecture", architecture);
        return e;
    }

    @Test
    void htpasswdRegistryTakesCredentialsFromTheEnvironmentOrTheAuthFile() throws Exception {
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"), "publisher", "s3cret pass")) {
            String digest = registry.orasPush(tmp, "private/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            String ref = registry.ref("private/types:1.0");

            SourceException anonymous = assertThrows(SourceException.class, () -> fetch(ref));
            assertTrue(anonymous.getMessage().contains(registry.address() + " requires a user name and password for private/types"), anonymous.getMessage());

            Map<String, String> home = Map.of("HOME", tmp.resolve("nobody").toString());
            var env = new java.util.HashMap<>(home);
            env.put("WASSETTE_REGISTRY_USER", "publisher");
            env.put("WASSETTE_REGISTRY_PASSWORD", "s3cret pass");
            assertEquals(digest, fetch(ref, RegistryCredentials.fromEnvironment(env), Progress.NONE).digest().toString());

            Path docker = Files.createDirectories(tmp.resolve("docker"));
            Files.writeString(docker.resolve("config.json"), "{\"auths\":{\"" + registry.address() + "\":{\"auth\":\""
                    + java.util.Base64.getEncoder().encodeToString("publisher:s3cret pass".getBytes(StandardCharsets.UTF_8)) + "\"}}}");
            Path cache = tmp.resolve("cache");
            deleteTree(cache); // pull again, through the registry
            FetchedComponent viaFile = fetch(ref, RegistryCredentials.fromEnvironment(Map.of("HOME", tmp.toString(), "DOCKER_CONFIG", docker.toString())),
                    Progress.NONE);
            assertFalse(viaFile.offline());
            assertArrayEquals(types, viaFile.bytes());

            env.put("WASSETTE_REGISTRY_PASSWORD", "wrong");
            SourceException wrong = assertThrows(SourceException.class, () -> fetch(ref, RegistryCredentials.fromEnvironment(env), Progress.NONE));
            assertTrue(wrong.getMessage().contains("refused access to private/types (HTTP 401") && wrong.getMessage().contains("check the credentials"),
                    wrong.getMessage());
        }
    }

    @Test
    void bearerTokensAnonymouslyAndWithCredentials() throws Exception {
        try (TestRegistry registry = TestRegistry.ggcr(tmp.resolve("registry"))) {
            String digest = registry.orasPush(tmp, "public/types:1.0", "config.json:" + ComponentFetcher.WASM_CONFIG, "types.wasm:application/wasm");
            try (BearerGateway open = new BearerGateway(registry.address(), null, null)) {
                FetchedComponent f = fetch("oci://" + open.address() + "/public/types:1.0");
                assertEquals(digest, f.digest().toString());
                assertArrayEquals(types, f.bytes());
                assertEquals(List.of("service=gateway.test&scope=repository%3Apublic%2Ftypes%3Apull"), open.tokenRequests,
                        "one anonymous token for the repository, reused for its blobs");
            }
            deleteTree(tmp.resolve("cache"));
            try (BearerGateway closed = new BearerGateway(registry.address(), "reader", "pw")) {
                SourceException anonymous = assertThrows(SourceException.class, () -> fetch("oci://" + closed.address() + "/public/types:1.0"));
                assertTrue(anonymous.getMessage().contains("refused an anonymous pull of public/types"), anonymous.getMessage());
                var env = Map.of("HOME", tmp.toString(), "WASSETTE_REGISTRY_USER", "reader", "WASSETTE_REGISTRY_PASSWORD", "pw");
                assertEquals(digest, fetch("oci://" + closed.address() + "/public/types:1.0", RegistryCredentials.fromEnvironment(env), Progress.NONE)
                        .digest().toString());
            }
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

package dev.wassette.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.FakeRegistry;
import dev.wassette.Fixtures;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that misbehaves — tampered, truncated or oversized blobs, manifests over the cap or of
 * unknown types, errors, silence, redirects — gets a clear error, and nothing unverified enters the
 * blob cache. The registry is a test server, because a real one never serves such things.
 */
class RegistryFailureTest {
    private static final String REPO = "wassette/types";
    private static final byte[] CONFIG = "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;
    private FakeRegistry registry;
    private byte[] component;

    @BeforeEach
    void start() throws Exception {
        registry = FakeRegistry.plain();
        component = Files.readAllBytes(Fixtures.path("types.wasm"));
    }

    @AfterEach
    void stop() {
        registry.close();
    }

    private SourceSettings settings() {
        return SourceSettings.defaults(tmp.resolve("cache")).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1));
    }

    private FetchedComponent fetch(String reference, SourceSettings settings) throws SourceException {
        return new ComponentFetcher(settings).fetch(ComponentSource.parse(reference, tmp, null), RegistryCredentials.none(), Progress.NONE);
    }

    private String ref(String tag) {
        return "oci://" + registry.address() + "/" + REPO + ":" + tag;
    }

    /** Blobs in the cache (none partial); a failed pull must leave only verified ones. */
    private long cachedFiles() throws Exception {
        Path dir = tmp.resolve("cache/sha256");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    private void publish(String tag, byte[] manifest) {
        registry.manifest(REPO, tag, "application/vnd.oci.image.manifest.v1+json", manifest);
    }

    @Test
    void aWellFormedArtifactLoadsAndEveryBlobIsChecked() throws Exception {
        String policy = "version: \"1.0\"\npermissions:\n  network:\n    allow: [{host: api.example.com}]\n";
        byte[] manifest = FakeRegistry.wasmManifest(CONFIG, component, "application/vnd.wassette.policy+yaml", policy);
        publish("1.0", manifest);
        registry.blob(REPO, component);
        registry.blob(REPO, policy.getBytes(StandardCharsets.UTF_8));
        FetchedComponent f = fetch(ref("1.0"), settings());
        assertArrayEquals(component, f.bytes());
        assertEquals(Digest.sha256(manifest), f.digest());
        assertEquals(Digest.sha256(component), f.componentDigest());
        assertEquals(policy, f.declaredPolicy());
        assertEquals("application/vnd.wassette.policy+yaml", f.declaredPolicyMediaType());
        assertEquals("oci://" + registry.address() + "/" + REPO + "@" + Digest.sha256(manifest), f.resolved());
        assertFalse(f.offline());
        assertEquals(3, cachedFiles(), "manifest, component and policy cached");
        assertTrue(registry.seen.stream().noneMatch(s -> s.path().contains("/blobs/" + Digest.sha256(CONFIG))), "the config is not needed");
    }

    @Test
    void aTamperedBlobIsRefusedAndNothingIsCached() throws Exception {
        publish("1.0", FakeRegistry.wasmManifest(CONFIG, component));
        byte[] tampered = component.clone();
        tampered[tampered.length / 2] ^= 1;
        registry.serve("/v2/" + REPO + "/blobs/" + Digest.sha256(component), "application/octet-stream", tampered);
        SourceException e = assertThrows(SourceException.class, () -> fetch(ref("1.0"), settings()));
        assertTrue(e.getMessage().contains("digest mismatch: expected " + Digest.sha256(component) + ", got " + Digest.sha256(tampered)), e.getMessage());
        assertEquals(0, cachedFiles(), "neither the tampered blob nor the manifest was kept");
    }

    @Test
    void aTruncatedBlobIsRefused() throws Exception {
        publish("1.0", FakeRegistry.wasmManifest(CONFIG, component));
        // The length the descriptor declares, then half the bytes, then the connection closes.
        registry.route("/v2/" + REPO + "/blobs/" + Digest.sha256(component), ex -> {
            ex.sendResponseHeaders(200, component.length);
            OutputStream out = ex.getResponseBody();
            out.write(component, 0, component.length / 2);
            out.flush();
            ex.getHttpContext().getServer().stop(0); // drop the connection mid-body
        });
        SourceException e = assertThrows(SourceException.class, () -> fetch(ref("1.0"), settings()));
        assertTrue(e.getMessage().contains("broke off after") || e.getMessage().contains("truncated"), e.getMessage());
        assertEquals(0, cachedFiles());
    }

    @Test
    void aBlobShorterOrLongerThanItsDescriptorIsRefused() throws Exception {
        byte[] shorter = Arrays.copyOf(component, component.length - 10);
        publish("short", FakeRegistry.wasmManifest(CONFIG, component));
        // Served without a length (chunked), so only the descriptor's size tells it is short.
        registry.route("/v2/" + REPO + "/blobs/" + Digest.sha256(component), ex -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(shorter);
            }
        });
        SourceException shortError = assertThrows(SourceException.class, () -> fetch(ref("short"), settings()));
        assertTrue(shortError.getMessage().contains("received " + shorter.length + " bytes, its descriptor declares " + component.length), shortError.getMessage());

        byte[] longer = Arrays.copyOf(component, component.length + 10);
        registry.route("/v2/" + REPO + "/blobs/" + Digest.sha256(component), ex -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(longer);
            }
        });
        SourceException longError = assertThrows(SourceException.class, () -> fetch(ref("short"), settings()));
        assertTrue(longError.getMessage().contains("more bytes arrived than the " + component.length + " its descriptor declares"), longError.getMessage());
        assertEquals(0, cachedFiles());
    }

    @Test
    void manifestsAndComponentsOverTheirCapsAreRefused() throws Exception {
        byte[] manifest = FakeRegistry.wasmManifest(CONFIG, component);
        publish("1.0", manifest);
        registry.blob(REPO, component);
        SourceException big = assertThrows(SourceException.class, () -> fetch(ref("1.0"), settings().withLimits(100, 1 << 20)));
        assertTrue(big.getMessage().contains("is " + manifest.length + " bytes, over the limit of 100 bytes"), big.getMessage());
        SourceException bigComponent = assertThrows(SourceException.class, () -> fetch(ref("1.0"), settings().withLimits(1 << 20, 1000)));
        assertTrue(bigComponent.getMessage().contains("is " + component.length + " bytes, over the limit of 1000 bytes"), bigComponent.getMessage());
        assertTrue(registry.seen.stream().noneMatch(s -> s.path().contains("/blobs/")), "an oversized layer is not even requested");
        assertEquals(0, cachedFiles());
    }

    @Test
    void unknownMediaTypesAreNamed() throws Exception {
        byte[] noType = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}".getBytes(StandardCharsets.UTF_8);
        registry.manifest(REPO, "untyped", "application/json", noType);
        SourceException untyped = assertThrows(SourceException.class, () -> fetch(ref("untyped"), settings()));
        assertTrue(untyped.getMessage().contains("unsupported media type \"application/json\""), untyped.getMessage());

        var tar = FakeRegistry.JSON.readTree(FakeRegistry.wasmManifest(CONFIG, component));
        ((com.fasterxml.jackson.databind.node.ObjectNode) tar.get("layers").get(0)).put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip");
        publish("tar", FakeRegistry.JSON.writeValueAsBytes(tar));
        SourceException layer = assertThrows(SourceException.class, () -> fetch(ref("tar"), settings()));
        assertTrue(layer.getMessage().contains("layer 0 has the unsupported media type \"application/vnd.oci.image.layer.v1.tar+gzip\""), layer.getMessage());

        var image = FakeRegistry.JSON.readTree(FakeRegistry.wasmManifest(CONFIG, component));
        ((com.fasterxml.jackson.databind.node.ObjectNode) image.get("config")).put("mediaType", "application/vnd.docker.container.image.v1+json");
        publish("image", FakeRegistry.JSON.writeValueAsBytes(image));
        SourceException container = assertThrows(SourceException.class, () -> fetch(ref("image"), settings()));
        assertTrue(container.getMessage().contains("is a container image"), container.getMessage());
        assertEquals(0, cachedFiles());
    }

    @Test
    void aTagThatIsNotThereIsNamed() {
        SourceException e = assertThrows(SourceException.class, () -> fetch(ref("nope"), settings()));
        assertEquals(ref("nope") + ": not found in the registry (no tag \"nope\" in " + REPO + ")", e.getMessage());
    }

    @Test
    void aManifestWhoseDigestIsNotTheOneAnnouncedIsRefused() throws Exception {
        byte[] manifest = FakeRegistry.wasmManifest(CONFIG, component);
        registry.serve("/v2/" + REPO + "/manifests/1.0", "application/vnd.oci.image.manifest.v1+json", manifest,
                "Docker-Content-Digest", "sha256:" + "0".repeat(64));
        SourceException e = assertThrows(SourceException.class, () -> fetch(ref("1.0"), settings()));
        assertTrue(e.getMessage().contains("digest mismatch: the registry announced sha256:" + "0".repeat(64)), e.getMessage());
        // Asked for by digest, the served bytes must have that digest.
        registry.serve("/v2/" + REPO + "/manifests/sha256:" + "1".repeat(64), "application/vnd.oci.image.manifest.v1+json", manifest);
        SourceException pinned = assertThrows(SourceException.class, () -> fetch("oci://" + registry.address() + "/" + REPO + "@sha256:" + "1".repeat(64), settings()));
        assertTrue(pinned.getMessage().contains("digest mismatch: asked for sha256:" + "1".repeat(64)), pinned.getMessage());
    }

    @Test
    void registryErrorsAndSilenceAreReported() throws Exception {
        registry.route("/v2/" + REPO + "/manifests/broken", ex -> {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            FakeRegistry.respond(ex, 500, "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"storage backend unavailable\"}]}".getBytes(StandardCharsets.UTF_8));
        });
        SourceException error = assertThrows(SourceException.class, () -> fetch(ref("broken"), settings()));
        assertTrue(error.getMessage().contains("answered HTTP 500: UNKNOWN storage backend unavailable"), error.getMessage());

        registry.route("/v2/" + REPO + "/manifests/silent", ex -> {
            try {
                Thread.sleep(5_000); // longer than the client's 1 s read timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        SourceException silent = assertThrows(SourceException.class, () -> fetch(ref("silent"), settings()));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(silent.getMessage().contains("no response from " + registry.address() + " within 1 s"), silent.getMessage());
        assertTrue(millis < 4_000, "gave up after " + millis + " ms");

        // Headers, half the blob, then nothing: the body's pause is bounded too.
        publish("stalls", FakeRegistry.wasmManifest(CONFIG, component));
        registry.route("/v2/" + REPO + "/blobs/" + Digest.sha256(component), ex -> {
            ex.sendResponseHeaders(200, component.length);
            OutputStream out = ex.getResponseBody();
            out.write(component, 0, component.length / 2);
            out.flush();
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long stallStart = System.nanoTime();
        SourceException stalled = assertThrows(SourceException.class, () -> fetch(ref("stalls"), settings()));
        assertTrue(stalled.getMessage().contains("no data from 127.0.0.1 for 1 s after " + component.length / 2 + " bytes"), stalled.getMessage());
        assertTrue((System.nanoTime() - stallStart) / 1_000_000 < 4_000, "gave up on the stalled body in time");
        assertEquals(0, cachedFiles());

        try (FakeRegistry gone = FakeRegistry.plain()) {
            String address = gone.address();
            gone.close();
            SourceException refused = assertThrows(SourceException.class,
                    () -> fetch("oci://" + address + "/" + REPO + ":1.0", settings()));
            assertTrue(refused.getMessage().contains("cannot reach " + address + ": connection refused"), refused.getMessage());
        }
    }

    @Test
    void blobsFollowRedirectsToStorageWithoutTheRegistrysCredentials() throws Exception {
        try (FakeRegistry storage = FakeRegistry.plain()) {
            publish("1.0", FakeRegistry.wasmManifest(CONFIG, component));
            storage.serve("/signed/blob", "application/octet-stream", component);
            registry.route("/v2/" + REPO + "/blobs/" + Digest.sha256(component), ex -> {
                ex.getResponseHeaders().add("Location", storage.url("/signed/blob"));
                FakeRegistry.respond(ex, 307, new byte[0]);
            });
            // The registry asks for Basic credentials once; they must not travel on to the storage host.
            registry.route("/v2/" + REPO + "/manifests/1.0", basicProtected(registry, "/v2/" + REPO + "/manifests/1.0",
                    FakeRegistry.wasmManifest(CONFIG, component)));
            FetchedComponent f = new ComponentFetcher(settings()).fetch(ComponentSource.parse(ref("1.0"), tmp, null),
                    RegistryCredentials.fromEnvironment(java.util.Map.of("WASSETTE_REGISTRY_USER", "u", "WASSETTE_REGISTRY_PASSWORD", "p",
                            "HOME", tmp.toString())), Progress.NONE);
            assertArrayEquals(component, f.bytes());
            assertNull(storage.seen.getFirst().authorization(), "the storage host got no Authorization");
            assertTrue(registry.seen.stream().anyMatch(s -> s.path().contains("/blobs/") && s.authorization() != null),
                    "the registry itself got the credentials");
        }
    }

    /** A handler asking for Basic credentials (u/p), then serving {@code manifest}. */
    private static com.sun.net.httpserver.HttpHandler basicProtected(FakeRegistry registry, String path, byte[] manifest) {
        return ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (!("Basic " + java.util.Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8))).equals(auth)) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"fake\"");
                FakeRegistry.respond(ex, 401, new byte[0]);
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            FakeRegistry.respond(ex, 200, manifest);
        };
    }
}

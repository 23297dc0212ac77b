package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.FakeRegistry;
import dev.wassette.Fixtures;
import dev.wassette.RegistryTools;
import dev.wassette.TestRegistry;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wassette component load|list} and {@code wassette call} with OCI and HTTPS sources, as
 * processes with their own XDG directories: the source and digest recorded and listed, a declared
 * policy kept but not applied, a pinned digest served from the cache with the registry gone, a pin
 * mismatch refused with nothing stored.
 */
class SourcesCliTest {
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

    @Test
    void loadListAndCallFromARegistry() throws Exception {
        Path components = tmp.resolve("data/wassette/components");
        String digest;
        String address;
        try (TestRegistry registry = TestRegistry.distribution(tmp.resolve("registry"))) {
            address = registry.address();
            digest = registry.orasPush(tmp, "tools/types:1.0", "config.json:application/vnd.wasm.config.v0+json",
                    "types.wasm:application/wasm", "policy.yaml:application/vnd.wasm.policy.v1+yaml");
            RegistryTools.Result load = wassette("component", "load", registry.ref("tools/types:1.0"));
            assertEquals(0, load.code(), load.output());
            assertTrue(load.output().contains("fetched " + registry.ref("tools/types:1.0") + " (" + digest + ")"), load.output());
            assertTrue(load.output().contains("loaded types into " + components), load.output());
            assertTrue(load.output().contains("declared permissions (sha256:") && load.output().contains("not granted; to grant exactly these: "
                    + "wassette permission apply-declared types --digest sha256:"), load.output());
        }
        assertEquals(Files.readString(tmp.resolve("policy.yaml")), Files.readString(components.resolve("types.declared-policy.yaml")));
        Policy inForce = PolicyParser.parse(components.resolve("types.policy.yaml"));
        assertTrue(inForce.environmentAllow().isEmpty() && inForce.storageAllow().isEmpty() && inForce.networkAllow().isEmpty(),
                "the declaration was not applied: " + inForce);

        RegistryTools.Result list = wassette("component", "list", "-o", "json");
        assertEquals(0, list.code(), list.output());
        JsonNode row = JSON.readTree(list.output().substring(list.output().indexOf('['))).get(0);
        assertEquals("types", row.path("id").asText());
        assertEquals("oci://" + address + "/tools/types:1.0", row.path("source").asText());
        assertEquals(digest, row.path("digest").asText());
        assertEquals("oci://" + address + "/tools/types@" + digest, row.path("resolved").asText());
        assertTrue(row.path("declared_policy").asBoolean());
        RegistryTools.Result table = wassette("component", "list");
        assertTrue(table.output().lines().anyMatch(l -> l.startsWith("types") && l.contains("oci://" + address + "/tools/types:1.0") && l.contains(digest)),
                table.output());

        // The registry is gone; the pinned digest is in the cache.
        RegistryTools.Result call = wassette("call", "oci://" + address + "/tools/types@" + digest, "wassette:fixtures/types@0.1.0#add",
                "--args", "{\"a\":2,\"b\":3}");
        assertEquals(0, call.code(), call.output());
        assertTrue(call.output().contains("from the cache"), call.output());
        assertTrue(call.output().strip().endsWith("5"), call.output());

        RegistryTools.Result tag = wassette("call", "oci://" + address + "/tools/types:1.0", "greet", "--args", "{\"name\":\"x\"}");
        assertEquals(3, tag.code(), tag.output());
        assertTrue(tag.output().contains("error: cannot reach " + address + ": connection refused"), tag.output());
    }

    @Test
    void aLongPullShowsProgressOnStderr() throws Exception {
        byte[] types = Files.readAllBytes(Fixtures.path("types.wasm"));
        byte[] config = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (FakeRegistry registry = FakeRegistry.plain()) {
            registry.manifest("wassette/slow", "1.0", "application/vnd.oci.image.manifest.v1+json", FakeRegistry.wasmManifest(config, types));
            // The component arrives in four parts over about two seconds.
            registry.route("/v2/wassette/slow/blobs/" + dev.wassette.source.Digest.sha256(types), ex -> {
                ex.sendResponseHeaders(200, types.length);
                try (var out = ex.getResponseBody()) {
                    int part = types.length / 4 + 1;
                    for (int off = 0; off < types.length; off += part) {
                        out.write(types, off, Math.min(part, types.length - off));
                        out.flush();
                        Thread.sleep(500);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            RegistryTools.Result load = wassette("component", "load", "oci://" + registry.address() + "/wassette/slow:1.0");
            assertEquals(0, load.code(), load.output());
            List<String> progress = load.output().lines().filter(l -> l.startsWith("  component sha256:") && l.contains(" of " + registry.address()
                    + "/wassette/slow: ")).toList();
            assertFalse(progress.isEmpty(), load.output());
            assertTrue(progress.getLast().endsWith(" (100 %)"), load.output());
            assertTrue(progress.stream().allMatch(l -> l.matches(".*: [0-9.]+ (B|KiB|MiB) of [0-9.]+ (B|KiB|MiB) \\(\\d+ %\\)")), load.output());
        }
    }

    @Test
    void aPinMismatchStoresNothing() throws Exception {
        try (TestRegistry registry = TestRegistry.ggcr(tmp.resolve("registry"))) {
            registry.orasPush(tmp, "tools/types:1.0", "config.json:application/vnd.wasm.config.v0+json", "types.wasm:application/wasm");
            String other = "sha256:" + "e".repeat(64);
            RegistryTools.Result load = wassette("component", "load", registry.ref("tools/types:1.0"), "--digest", other);
            assertEquals(3, load.code(), load.output());
            assertTrue(load.output().contains("error: " + registry.ref("tools/types:1.0") + " pinned to " + other
                    + ": the registry has no manifest with that digest in tools/types"), load.output());
            assertFalse(Files.exists(tmp.resolve("data/wassette/components/types.wasm")));

            RegistryTools.Result file = wassette("component", "load", tmp.resolve("types.wasm").toString(), "--digest", other);
            assertEquals(3, file.code(), file.output());
            assertTrue(file.output().contains("digest mismatch: " + tmp.resolve("types.wasm") + " is sha256:") && file.output().contains("not the " + other + " expected"),
                    file.output());
            assertFalse(Files.exists(tmp.resolve("data/wassette/components/types.wasm")));

            RegistryTools.Result plain = wassette("component", "load", "http://" + registry.address() + "/types.wasm");
            assertEquals(3, plain.code(), plain.output());
            assertTrue(plain.output().contains("plain http:// is refused"), plain.output());
        }
    }
}

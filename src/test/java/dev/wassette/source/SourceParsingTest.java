package dev.wassette.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How sources, references, digests and credentials are read, and which hosts may be reached over plain HTTP. */
class SourceParsingTest {
    private static final String HEX = "a".repeat(64);
    private static final String OTHER = "b".repeat(64);

    @TempDir
    Path tmp;

    @Test
    void sourcesByScheme() {
        Path base = Path.of("/work/dir");
        var file = assertInstanceOf(ComponentSource.File.class, ComponentSource.parse("tools/x.wasm", base, null));
        assertEquals(Path.of("/work/dir/tools/x.wasm"), file.path());
        assertEquals("x.wasm", file.suggestedName());
        assertEquals(Path.of("/abs/y.wasm"), ((ComponentSource.File) ComponentSource.parse("file:///abs/y.wasm", base, null)).path());

        var https = assertInstanceOf(ComponentSource.Https.class, ComponentSource.parse("https://example.com/c/tool.wasm?v=1#sha256=" + HEX.toUpperCase(), base, null));
        assertEquals(URI.create("https://example.com/c/tool.wasm?v=1"), https.uri());
        assertEquals(Digest.parse("sha256:" + HEX), https.pin());
        assertEquals("tool.wasm", https.suggestedName());
        assertEquals("https://example.com/c/tool.wasm?v=1#sha256=" + HEX, https.toString());
        assertEquals(Digest.parse("sha256:" + HEX), ComponentSource.parse("https://example.com/t.wasm", base, Digest.parse("sha256:" + HEX)).pin());

        var oci = assertInstanceOf(ComponentSource.Oci.class, ComponentSource.parse("oci://ghcr.io/org/tools/fetch-rs:1.2.0", base, null));
        assertEquals(new OciReference("ghcr.io", "org/tools/fetch-rs", "1.2.0", null), oci.reference());
        assertEquals("fetch-rs", oci.suggestedName());
        assertNull(oci.pin());
        var pinned = (ComponentSource.Oci) ComponentSource.parse("oci://127.0.0.1:5000/a/b@sha256:" + HEX, base, null);
        assertEquals(Digest.parse("sha256:" + HEX), pinned.pin());
        assertEquals("oci://127.0.0.1:5000/a/b@sha256:" + HEX, pinned.toString());
    }

    @Test
    void badSourcesSayWhy() {
        Path base = Path.of("/w");
        assertTrue(message(() -> ComponentSource.parse("http://example.com/x.wasm", base, null)).contains("plain http:// is refused"));
        assertTrue(message(() -> ComponentSource.parse("ftp://example.com/x.wasm", base, null)).contains("unsupported source scheme"));
        assertTrue(message(() -> ComponentSource.parse("https://u:p@example.com/x.wasm", base, null)).contains("credentials in a URL are refused"));
        assertTrue(message(() -> ComponentSource.parse("https://example.com/x.wasm#latest", base, null)).contains("not a pin"));
        assertTrue(message(() -> ComponentSource.parse("https://example.com/x.wasm#sha256=abc", base, null)).contains("invalid sha256 digest"));
        assertTrue(message(() -> ComponentSource.parse("https://example.com/x.wasm#sha256=" + HEX, base, Digest.parse("sha256:" + OTHER)))
                .contains("two different digests"));
        assertTrue(message(() -> ComponentSource.parse("oci://Reg.io/UPPER/case:1", base, null)).contains("invalid repository"));
        assertTrue(message(() -> ComponentSource.parse("oci://reg.io/repo:bad tag", base, null)).contains("invalid tag"));
        assertTrue(message(() -> ComponentSource.parse("oci://reg.io", base, null)).contains("invalid OCI reference"));
        assertTrue(message(() -> ComponentSource.parse("oci://reg.io/a@md5:00", base, null)).contains("unsupported digest algorithm"));
        assertTrue(message(() -> ComponentSource.parse(" ", base, null)).contains("no component source"));
    }

    @Test
    void ociReferences() {
        assertEquals(new OciReference("localhost:5000", "x", "latest", null), OciReference.parse("oci://localhost:5000/x"));
        OciReference both = OciReference.parse("oci://[::1]:5000/ns/x:v1@sha256:" + HEX);
        assertEquals("[::1]:5000", both.registry());
        assertEquals("v1", both.tag());
        assertEquals("sha256:" + HEX, both.manifestReference());
        OciReference hub = OciReference.parse("oci://docker.io/alpine:3");
        assertEquals("registry-1.docker.io", hub.apiHost());
        assertEquals("library/alpine", hub.apiRepository());
        assertEquals("oci://r.io/a/b@sha256:" + OTHER, OciReference.parse("oci://r.io/a/b:t").at(Digest.parse("sha256:" + OTHER)).toString());
    }

    @Test
    void plainHttpOnlyForLoopbackAndListedRegistries() {
        SourceSettings s = SourceSettings.defaults(tmp).withInsecureRegistries(List.of("registry.internal:5000", "Mirror.LAN"));
        assertTrue(s.allowsPlainHttp("localhost", 5000));
        assertTrue(s.allowsPlainHttp("127.0.0.1", -1));
        assertTrue(s.allowsPlainHttp("127.8.9.10", 80));
        assertTrue(s.allowsPlainHttp("[::1]", 5000));
        assertTrue(s.allowsPlainHttp("registry.internal", 5000));
        assertTrue(!s.allowsPlainHttp("registry.internal", 5001), "listed with a port: only that port");
        assertTrue(s.allowsPlainHttp("mirror.lan", 8080), "listed without a port: any port");
        assertTrue(!s.allowsPlainHttp("ghcr.io", -1));
        assertTrue(!s.allowsPlainHttp("10.0.0.1", 5000));
        assertTrue(!s.allowsPlainHttp("localhost.example.com", 5000), "a name is never resolved to decide");
    }

    @Test
    void credentialsFromEnvironmentThenContainersThenDocker() throws Exception {
        Path docker = Files.createDirectories(tmp.resolve("docker"));
        Files.writeString(docker.resolve("config.json"), """
                {"auths": {"https://index.docker.io/v1/": {"auth": "%s"},
                           "reg.example:5000": {"username": "plain", "password": "pw"}},
                 "credHelpers": {"helper.example": "ecr-login"}}"""
                .formatted(Base64.getEncoder().encodeToString("hubuser:hubpass".getBytes(StandardCharsets.UTF_8))));
        Path runtime = Files.createDirectories(tmp.resolve("run/containers"));
        Files.writeString(runtime.resolve("auth.json"), """
                {"auths": {"reg.example:5000": {"auth": "%s"}}}"""
                .formatted(Base64.getEncoder().encodeToString("podman:secret:with:colons".getBytes(StandardCharsets.UTF_8))));
        Map<String, String> env = Map.of("HOME", tmp.toString(), "DOCKER_CONFIG", docker.toString(), "XDG_RUNTIME_DIR", tmp.resolve("run").toString());

        RegistryCredentials files = RegistryCredentials.fromEnvironment(env);
        assertEquals(new RegistryCredentials.Basic("podman", "secret:with:colons"), files.forRegistry("reg.example:5000"), "containers auth.json first");
        assertEquals(new RegistryCredentials.Basic("hubuser", "hubpass"), files.forRegistry("docker.io"));
        assertNull(files.forRegistry("helper.example"), "credential helpers are not run");
        assertNull(files.forRegistry("other.example"));
        assertTrue(!files.forRegistry("docker.io").toString().contains("hubpass"), "the password is never printed");

        var withEnv = new java.util.HashMap<>(env);
        withEnv.put("WASSETTE_REGISTRY_USER", "ci");
        withEnv.put("WASSETTE_REGISTRY_PASSWORD", "token");
        assertEquals(new RegistryCredentials.Basic("ci", "token"), RegistryCredentials.fromEnvironment(withEnv).forRegistry("reg.example:5000"));

        Files.delete(runtime.resolve("auth.json"));
        assertEquals(new RegistryCredentials.Basic("plain", "pw"), RegistryCredentials.fromEnvironment(env).forRegistry("reg.example:5000"));
    }

    @Test
    void wwwAuthenticateParameters() {
        Map<String, String> p = RegistryClient.params("Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");
        assertEquals(Map.of("realm", "https://auth.example/token", "service", "registry.example", "scope", "repository:a/b:pull,push"), p);
        assertEquals(Map.of("realm", "a \"quoted\" realm"), RegistryClient.params("Basic realm=\"a \\\"quoted\\\" realm\""));
    }

    private static String message(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(IllegalArgumentException.class, e).getMessage();
    }
}

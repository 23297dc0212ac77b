package dev.wassette.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.FakeRegistry;
import dev.wassette.Fixtures;
import dev.wassette.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Components from HTTPS URLs: a server with a certificate from a test CA the client is told to
 * trust ({@code ca_certificates}); pins checked (a mismatch stores nothing), the body capped,
 * redirects only to HTTPS, unreachable and untrusted servers named.
 */
class HttpsSourceTest {
    private static final TestCertificates CA = TestCertificates.newAuthority("wassette test CA");

    @TempDir
    Path tmp;
    private FakeRegistry server;
    private byte[] types;
    private Path caPem;

    @BeforeEach
    void start() throws Exception {
        server = FakeRegistry.tls(CA.serverContext());
        types = Files.readAllBytes(Fixtures.path("types.wasm"));
        server.serve("/c/types.wasm", "application/wasm", types);
        caPem = CA.writeCaPem(tmp.resolve("ca.pem"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private SourceSettings settings() {
        return SourceSettings.defaults(tmp.resolve("cache")).withCaCertificates(caPem).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2));
    }

    private FetchedComponent fetch(String url, SourceSettings settings) throws SourceException {
        return new ComponentFetcher(settings).fetch(ComponentSource.parse(url, tmp, null), RegistryCredentials.none(), Progress.NONE);
    }

    private long cachedFiles() throws Exception {
        Path dir = tmp.resolve("cache/sha256");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    @Test
    void pinnedDownloadThenOfflineFromTheCache() throws Exception {
        Digest digest = Digest.sha256(types);
        String url = server.url("/c/types.wasm") + "#sha256=" + digest.hex();
        FetchedComponent f = fetch(url, settings());
        assertArrayEquals(types, f.bytes());
        assertEquals(digest, f.digest());
        assertEquals(url, f.resolved());
        assertFalse(f.offline());
        server.close();
        FetchedComponent again = fetch(url, settings());
        assertTrue(again.offline(), "a pinned URL whose bytes are cached needs no server");
        assertArrayEquals(types, again.bytes());
    }

    @Test
    void unpinnedDownloadRecordsTheDigestItGot() throws Exception {
        FetchedComponent f = fetch(server.url("/c/types.wasm"), settings());
        assertEquals(Digest.sha256(types), f.digest());
        assertEquals(server.url("/c/types.wasm") + "#sha256=" + Digest.sha256(types).hex(), f.resolved());
    }

    @Test
    void aPinThatDoesNotMatchStoresNothing() throws Exception {
        String wrong = "0".repeat(64);
        SourceException e = assertThrows(SourceException.class, () -> fetch(server.url("/c/types.wasm") + "#sha256=" + wrong, settings()));
        assertTrue(e.getMessage().contains("digest mismatch: expected sha256:" + wrong + ", got " + Digest.sha256(types)), e.getMessage());
        assertEquals(0, cachedFiles());
    }

    @Test
    void theBodyIsCapped() throws Exception {
        SourceException declared = assertThrows(SourceException.class,
                () -> fetch(server.url("/c/types.wasm"), settings().withLimits(1 << 20, 4096)));
        assertTrue(declared.getMessage().contains("is " + types.length + " bytes, over the limit of 4096 bytes"), declared.getMessage());
        // Without a Content-Length the transfer stops once the cap is passed.
        server.route("/c/endless.wasm", ex -> {
            ex.sendResponseHeaders(200, 0);
            try (var out = ex.getResponseBody()) {
                byte[] chunk = new byte[64 << 10];
                for (int i = 0; i < 1024; i++) { // at most 64 MiB, far past the cap
                    out.write(chunk);
                }
            } catch (java.io.IOException ignored) {
                // the client hung up, as it should
            }
        });
        SourceException streamed = assertThrows(SourceException.class,
                () -> fetch(server.url("/c/endless.wasm"), settings().withLimits(1 << 20, 1 << 20)));
        assertTrue(streamed.getMessage().contains("is over the limit of 1048576 bytes"), streamed.getMessage());
        assertEquals(0, cachedFiles());
    }

    @Test
    void redirectsStayOnHttps() throws Exception {
        try (FakeRegistry mirror = FakeRegistry.tls(CA.serverContext()); FakeRegistry plain = FakeRegistry.plain()) {
            mirror.serve("/mirror/types.wasm", "application/wasm", types);
            plain.serve("/types.wasm", "application/wasm", types);
            server.route("/moved", ex -> {
                ex.getResponseHeaders().add("Location", mirror.url("/mirror/types.wasm"));
                FakeRegistry.respond(ex, 302, new byte[0]);
            });
            server.route("/downgrade", ex -> {
                ex.getResponseHeaders().add("Location", plain.url("/types.wasm"));
                FakeRegistry.respond(ex, 301, new byte[0]);
            });
            assertArrayEquals(types, fetch(server.url("/moved"), settings()).bytes());
            SourceException e = assertThrows(SourceException.class, () -> fetch(server.url("/downgrade"), settings()));
            assertTrue(e.getMessage().contains("refused the redirect from 127.0.0.1 to plain-HTTP 127.0.0.1"), e.getMessage());
            assertTrue(plain.seen.isEmpty(), "the plain-HTTP host was never contacted");
        }
    }

    @Test
    void errorsNameTheServerAndWhy() throws Exception {
        SourceException missing = assertThrows(SourceException.class, () -> fetch(server.url("/c/nope.wasm"), settings()));
        assertTrue(missing.getMessage().contains("answered HTTP 404"), missing.getMessage());

        SourceSettings jvmTrustOnly = SourceSettings.defaults(tmp.resolve("cache")).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2));
        SourceException untrusted = assertThrows(SourceException.class, () -> fetch(server.url("/c/types.wasm"), jvmTrustOnly));
        assertTrue(untrusted.getMessage().contains("TLS with " + server.address() + " failed") && untrusted.getMessage().contains("ca_certificates"),
                untrusted.getMessage());

        String address = server.address();
        server.close();
        SourceException unreachable = assertThrows(SourceException.class, () -> fetch("https://" + address + "/c/types.wasm", settings()));
        assertTrue(unreachable.getMessage().contains("cannot reach " + address + ": connection refused"), unreachable.getMessage());

        SourceException unknown = assertThrows(SourceException.class, () -> fetch("https://no-such-host.invalid/x.wasm", settings()));
        assertTrue(unknown.getMessage().contains("cannot reach no-such-host.invalid: unknown host"), unknown.getMessage());

        SourceException badCa = assertThrows(SourceException.class,
                () -> fetch("https://" + address + "/x.wasm", settings().withCaCertificates(Files.writeString(tmp.resolve("empty.pem"), "nothing"))));
        assertTrue(badCa.getMessage().contains("invalid CA certificates in " + tmp.resolve("empty.pem")), badCa.getMessage());
    }
}

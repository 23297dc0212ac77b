package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.Val;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policies in the capability form enforced on a real component ({@code io.wasm}), and declarations:
 * the policy that comes with a component is stored and shown, never in force until the user (or a
 * verified signature the trust policy trusts) applies it.
 */
class DeclaredPolicyTest {
    private static final String FILES = "wassette:fixtures/files@0.1.0#";

    @TempDir
    Path dir;
    private ComponentHost host;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/ok.txt"), "inside the grant");
        Files.createDirectories(dir.resolve("other"));
        Files.writeString(dir.resolve("other/secret.txt"), "SECRET");
        // Relative fs:// rules and capability paths resolve against the host's base directory: dir.
        host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
    }

    @AfterEach
    void stop() {
        host.close();
    }

    private Val call(String id, String fn, String... args) throws Exception {
        var f = host.component(id).sandbox().component().export(FILES + fn);
        return host.call(id, f, java.util.Arrays.stream(args).map(a -> (Val) new Val.Str(a)).toList());
    }

    private static boolean isOk(Val v) {
        return v instanceof Val.ResultVal r && r.isOk();
    }

    /** io.wasm in a directory of its own, with {@code policy} beside it as io.policy.yaml (none when null). */
    private Path packaged(String name, String policy) throws Exception {
        Path pkg = Files.createDirectories(dir.resolve(name));
        Path wasm = Files.copy(Fixtures.path("io.wasm"), pkg.resolve("io.wasm"));
        if (policy != null) {
            Files.writeString(pkg.resolve("io.policy.yaml"), policy);
        }
        return wasm;
    }

    private Policy install(ComponentSources.Fetched fetched) throws Exception {
        host.install(host.prepare(fetched.suggestedId(), fetched.bytes()), fetched);
        return host.store().policy(fetched.suggestedId());
    }

    @Test
    void aCapabilityReadGrantReadsThereAndNowhereElse() throws Exception {
        host.load("io", Files.readAllBytes(Fixtures.path("io.wasm")));
        Path policy = Files.writeString(dir.resolve("caps.yaml"), """
                capabilities:
                  filesystem: { read: ["./data"] }
                  network: none
                """);
        host.store().attach("io", policy);

        assertEquals(Val.ResultVal.ok(new Val.Str("inside the grant")), call("io", "read-file", "data/ok.txt"));
        for (String elsewhere : List.of("other/secret.txt", dir.resolve("other/secret.txt").toString(), "data/../other/secret.txt")) {
            Val denied = call("io", "read-file", elsewhere);
            assertFalse(isOk(denied), elsewhere + ": " + denied);
            assertFalse(denied.toString().contains("SECRET"), denied.toString());
        }
        assertFalse(isOk(call("io", "write-file", "data/new.txt", "x")), "read alone is read-only");
        assertFalse(Files.exists(dir.resolve("data/new.txt")));

        // Under both read and write, the same tree is writable.
        host.store().attach("io", Files.writeString(dir.resolve("caps-rw.yaml"), "capabilities:\n  filesystem: { read: [data], write: [./data/] }\n"));
        assertTrue(isOk(call("io", "write-file", "data/new.txt", "written")));
        assertEquals("written", Files.readString(dir.resolve("data/new.txt")));
    }

    @Test
    void aDeclarationIsShownAndNotInForceUntilTheUserAppliesIt() throws Exception {
        Path wasm = packaged("pkg", "capabilities:\n  filesystem: { read: [\"./data\"] }\n");
        ComponentSources.Fetched fetched = ComponentSources.fetch(wasm.toUri().toString(), dir, null);
        assertEquals(wasm.resolveSibling("io.policy.yaml").toString(), fetched.declaredPolicyFrom());
        assertEquals(TrustDecision.UNVERIFIED, fetched.trust());

        Policy granted = install(fetched);
        assertTrue(granted.grantsSameAs(Policy.denyAll()), "nothing is granted by loading: " + granted);
        ComponentStore.DeclaredPolicy declared = host.store().declaredPolicy("io").orElseThrow();
        assertEquals(Files.readString(wasm.resolveSibling("io.policy.yaml")), declared.yaml());
        assertEquals("fs://data/**", declared.policy().storageAllow().getFirst().uri());
        assertTrue(Files.isRegularFile(dir.resolve("components/io.declared-policy.yaml")));
        assertFalse(isOk(call("io", "read-file", "data/ok.txt")), "denied: the declaration is not the policy");

        IllegalArgumentException stale = assertThrows(IllegalArgumentException.class, () -> host.store().applyDeclaredPolicy("io",
                new DeclarationConsent.UserGrant("sha256:" + "0".repeat(64))));
        assertTrue(stale.getMessage().contains("is " + declared.digest() + ", not sha256:000"), stale.getMessage());
        assertFalse(isOk(call("io", "read-file", "data/ok.txt")), "a consent to another declaration applies nothing");

        Policy applied = host.store().applyDeclaredPolicy("io", new DeclarationConsent.UserGrant(declared.digest()));
        assertTrue(applied.grantsSameAs(declared.policy()));
        assertEquals(Val.ResultVal.ok(new Val.Str("inside the grant")), call("io", "read-file", "data/ok.txt"));
        assertFalse(isOk(call("io", "read-file", "other/secret.txt")));
    }

    @Test
    void newBytesDropTheOldDeclarationAndUnloadRemovesIt() throws Exception {
        install(ComponentSources.fetch(packaged("v1", "capabilities:\n  network: { outbound: [\"api.example.com:443\"] }\n").toString(), dir, null));
        assertTrue(host.store().declaredPolicy("io").isPresent());
        install(ComponentSources.fetch(packaged("v2", null).toString(), dir, null));
        assertTrue(host.store().declaredPolicy("io").isEmpty(), "a declaration describes the bytes it came with");
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> host.store().applyDeclaredPolicy("io", new DeclarationConsent.UserGrant(null)));
        assertEquals("component io declares no permissions", none.getMessage());

        install(ComponentSources.fetch(packaged("v3", "capabilities:\n  network: none\n").toString(), dir, null));
        assertTrue(host.unload("io"));
        assertFalse(Files.exists(host.store().declaredPolicyFile("io")));
    }

    @Test
    void onlyAVerifiedSignatureTheTrustPolicyAppliesPutsADeclarationInForce() throws Exception {
        ComponentSources.Fetched file = ComponentSources.fetch(packaged("pkg", "capabilities:\n  filesystem: { read: [data] }\n").toString(), dir, null);
        // What the registry source reports for an artifact whose signature the trust policy checked.
        var signedNotTrustedForDeclarations = new TrustDecision(true, false, "signed by a trusted key; the trust policy does not apply declarations under this prefix");
        var unsignedButTrusted = new TrustDecision(false, true, "no signature");
        for (TrustDecision notEnough : List.of(signedNotTrustedForDeclarations, unsignedButTrusted)) {
            Policy granted = install(new ComponentSources.Fetched(file.source(), file.bytes(), file.digest(), "io", file.declaredPolicy(),
                    file.declaredPolicyFrom(), notEnough));
            assertTrue(granted.grantsSameAs(Policy.denyAll()), notEnough + ": " + granted);
            String digest = host.store().declaredPolicy("io").orElseThrow().digest();
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> host.store().applyDeclaredPolicy("io", new DeclarationConsent.TrustedSignature(notEnough, digest)));
            assertEquals("the declared policy of io is not applied: " + notEnough.reason(), refused.getMessage());
        }
        var trusted = new TrustDecision(true, true, "signed by a trusted key; the trust policy applies declarations under this prefix");
        Policy granted = install(new ComponentSources.Fetched(file.source(), file.bytes(), file.digest(), "io", file.declaredPolicy(),
                file.declaredPolicyFrom(), trusted));
        assertEquals("fs://data/**", granted.storageAllow().getFirst().uri());
        assertEquals(Val.ResultVal.ok(new Val.Str("inside the grant")), call("io", "read-file", "data/ok.txt"));
    }

    @Test
    void fetchChecksPinsAndRefusesWhatItCannotFetch() throws Exception {
        Path wasm = packaged("pkg", "version: \"1.0\"\npermissions:\n  storage:\n    allow: [{uri: \"/etc\", access: [read]}]\n");
        ComponentSources.SourceException invalid = assertThrows(ComponentSources.SourceException.class,
                () -> ComponentSources.fetch(wasm.toString(), dir, null));
        assertEquals("the policy declared beside the component is invalid (fix or remove it): " + wasm.resolveSibling("io.policy.yaml")
                + ":4: storage uri \"/etc\" must look like fs:///absolute/path or fs://relative/path", invalid.getMessage());
        Files.delete(wasm.resolveSibling("io.policy.yaml"));

        ComponentSources.Fetched fetched = ComponentSources.fetch("pkg/io.wasm", dir, null);
        assertEquals(wasm.toString(), fetched.source(), "a relative path resolves against the base directory");
        assertTrue(fetched.digest().matches("sha256:[0-9a-f]{64}"), fetched.digest());
        assertEquals(fetched.digest(), ComponentSources.fetch(wasm.toString(), dir, fetched.digest()).digest());
        String other = "sha256:" + "ab".repeat(32);
        ComponentSources.SourceException mismatch = assertThrows(ComponentSources.SourceException.class,
                () -> ComponentSources.fetch(wasm.toString(), dir, other));
        assertEquals("digest mismatch: " + wasm + " is " + fetched.digest() + ", not the " + other + " expected", mismatch.getMessage());
        assertEquals("digest \"sha256:ABC\" is not sha256: followed by 64 lower-case hex digits", assertThrows(ComponentSources.SourceException.class,
                () -> ComponentSources.fetch(wasm.toString(), dir, "sha256:ABC")).getMessage());
        // Remote sources go to the registry and HTTPS fetchers (dev.wassette.source, tested there); plain HTTP never.
        ComponentSources.SourceException plain = assertThrows(ComponentSources.SourceException.class,
                () -> ComponentSources.fetch("http://example.com/tool.wasm", dir, null));
        assertTrue(plain.getMessage().startsWith("plain http:// is refused"), plain.getMessage());
        ComponentSources.SourceException nobody = assertThrows(ComponentSources.SourceException.class,
                () -> ComponentSources.fetch("oci://127.0.0.1:1/acme/tool:1.0", dir, null));
        assertEquals("cannot reach 127.0.0.1:1: connection refused", nobody.getMessage());
        assertEquals("tool", ComponentSources.suggestedId("oci://ghcr.io/acme/tool:1.0"));
        assertEquals("tool", ComponentSources.suggestedId("oci://ghcr.io/acme/tool@sha256:" + "0".repeat(64)));
        assertEquals("tool", ComponentSources.suggestedId("https://example.com/dl/tool.wasm#sha256=" + "0".repeat(64)));
        assertEquals("no such file: " + dir.resolve("missing.wasm"),
                assertThrows(ComponentSources.SourceException.class, () -> ComponentSources.fetch("missing.wasm", dir, null)).getMessage());
    }
}

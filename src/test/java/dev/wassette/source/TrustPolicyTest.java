package dev.wassette.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trust policies as TOML: keys from PEM files and inline, rules matched by the longest prefix at
 * "/" boundaries, keyless verification refused, and every mistake named; keys of each algorithm
 * cosign signs with checked against signatures the JDK makes.
 */
class TrustPolicyTest {
    @TempDir
    Path dir;

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    private static KeyPair generate(String algorithm, int size) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
        if (size > 0) {
            g.initialize(size);
        }
        return g.generateKeyPair();
    }

    private static byte[] sign(String algorithm, KeyPair pair, byte[] message) throws Exception {
        Signature s = Signature.getInstance(algorithm.equals("Ed25519ph") ? "Ed25519" : algorithm);
        if (algorithm.equals("Ed25519ph")) {
            s.setParameter(new java.security.spec.EdDSAParameterSpec(true)); // what cosign signs with an Ed25519 key
        }
        s.initSign(pair.getPrivate());
        s.update(message);
        return s.sign();
    }

    private TrustPolicy policy(String toml) throws Exception {
        return TrustPolicy.read(Files.writeString(dir.resolve("trust.toml"), toml));
    }

    private String invalid(String toml) throws Exception {
        Path file = Files.writeString(dir.resolve("bad.toml"), toml);
        return assertThrows(TrustPolicy.InvalidTrustPolicyException.class, () -> TrustPolicy.read(file)).getMessage();
    }

    @Test
    void rulesMatchTheLongestPrefixAtPathBoundaries() throws Exception {
        KeyPair acme = ec("secp256r1");
        KeyPair ops = generate("Ed25519", 0);
        Files.createDirectories(dir.resolve("keys"));
        Files.writeString(dir.resolve("keys/acme.pub"), pem("PUBLIC KEY", acme.getPublic().getEncoded()));
        TrustPolicy p = policy("""
                [keys]
                acme = "keys/acme.pub"
                ops = '''
                %s'''

                [[rules]]
                prefix = "oci://GHCR.io/acme/"
                keys = ["acme"]
                apply_declared_permissions = true

                [[rules]]
                prefix = "ghcr.io/acme/experimental"
                require_signature = false

                [[rules]]
                prefix = "*"
                keys = ["acme", "ops"]
                require_signature = false
                """.formatted(pem("PUBLIC KEY", ops.getPublic().getEncoded())));
        assertEquals(2, p.keys().size());
        assertEquals("ECDSA P-256", p.keys().get("acme").kind());
        assertEquals("Ed25519", p.keys().get("ops").kind());
        assertEquals(Digest.sha256(acme.getPublic().getEncoded()).toString(), p.keys().get("acme").fingerprint());

        TrustPolicy.Rule acmeRule = p.ruleFor(OciReference.parse("oci://ghcr.io/acme/tools/fetch:1.0"));
        assertEquals("ghcr.io/acme", acmeRule.prefix(), "scheme and trailing slash dropped, registry lower-cased");
        assertTrue(acmeRule.requireSignature(), "require_signature defaults to true");
        assertTrue(acmeRule.applyDeclaredPermissions());
        assertEquals("ghcr.io/acme", p.ruleFor(OciReference.parse("oci://ghcr.io/acme:1.0")).prefix(), "the prefix itself");
        TrustPolicy.Rule experimental = p.ruleFor(OciReference.parse("oci://ghcr.io/acme/experimental/x:1"));
        assertEquals("ghcr.io/acme/experimental", experimental.prefix(), "the longer prefix wins");
        assertFalse(experimental.requireSignature());
        assertTrue(experimental.keys().isEmpty());
        assertEquals("*", p.ruleFor(OciReference.parse("oci://ghcr.io/acmecorp/x:1")).prefix(), "acme is not a prefix of acmecorp");
        assertEquals(2, p.ruleFor(OciReference.parse("oci://127.0.0.1:5000/x:1")).keys().size());

        TrustPolicy noDefault = policy("""
                [keys]
                acme = "keys/acme.pub"
                [[rules]]
                prefix = "127.0.0.1:5000/signed"
                keys = ["acme"]
                """);
        assertNull(noDefault.ruleFor(OciReference.parse("oci://127.0.0.1:5000/unsigned:1")), "no rule: no signature needed");
        assertEquals(noDefault, policy(Files.readString(dir.resolve("trust.toml"))), "equal policies compare equal (the daemon compares them)");
    }

    @Test
    void keylessIsRefusedNamingWhy() throws Exception {
        String rule = invalid("""
                [[rules]]
                prefix = "ghcr.io/acme"
                certificate_identity = "https://github.com/acme/tools/.github/workflows/release.yml@refs/heads/main"
                certificate_oidc_issuer = "https://token.actions.githubusercontent.com"
                """);
        assertTrue(rule.contains("rule 1 (ghcr.io/acme)") && rule.contains("keyless signatures (Fulcio certificates, the Rekor transparency log)")
                && rule.contains("not supported"), rule);
        String flag = invalid("[[rules]]\nprefix = \"*\"\nkeyless = true\n");
        assertTrue(flag.contains("\"keyless\": keyless signatures") && flag.contains("offline"), flag);
        String tlog = invalid("[keys]\n[[rules]]\nprefix = \"*\"\nrequire_signature = false\ntransparency_log = true\n");
        assertTrue(tlog.contains("\"transparency_log\"") && tlog.contains("not supported"), tlog);
    }

    @Test
    void mistakesAreNamed() throws Exception {
        KeyPair acme = ec("secp256r1");
        String key = "[keys]\nacme = '''\n" + pem("PUBLIC KEY", acme.getPublic().getEncoded()) + "'''\n";
        assertTrue(invalid(key + "[[rules]]\nprefix = \"ghcr.io/acme\"\nkeys = [\"acme\"]\nrequre_signature = true\n")
                .contains("rule 1 (ghcr.io/acme): unknown key \"requre_signature\""));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"ghcr.io/acme\"\nkeys = [\"opz\"]\n")
                .contains("no key named \"opz\" in keys (there are: acme)"));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"ghcr.io/acme\"\n")
                .contains("require_signature needs at least one key"));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"ghcr.io/acme\"\nrequire_signature = false\napply_declared_permissions = true\n")
                .contains("apply_declared_permissions applies the declarations of artifacts signed by the rule's keys, and it has none"));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"ghcr.io/acme:1.0\"\nkeys = [\"acme\"]\n").contains("names a tag"));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"https://ghcr.io/acme\"\nkeys = [\"acme\"]\n").contains("is not REGISTRY[/REPOSITORY]"));
        assertTrue(invalid(key + "[[rules]]\nkeys = [\"acme\"]\n").contains("rule 1: no prefix"));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"x.io\"\nkeys = [\"acme\"]\nrequire_signature = \"yes\"\n")
                .contains("require_signature is true or false"));
        assertTrue(invalid(key + "[[rules]]\nprefix = \"x.io\"\nkeys = [\"acme\"]\n[[rules]]\nprefix = \"x.io/\"\nkeys = [\"acme\"]\n")
                .contains("rules 1 and 2 both have the prefix \"x.io\""));
        assertTrue(invalid("[keys]\nacme = \"absent.pub\"\n").contains("key \"acme\": no such key file: " + dir.resolve("absent.pub")));
        assertTrue(invalid("rulez = []\n").contains("unknown key \"rulez\""));

        String secret = invalid("[keys]\nacme = '''\n" + pem("EC PRIVATE KEY", new byte[] {1, 2, 3}) + "'''\n");
        assertTrue(secret.contains("a EC PRIVATE KEY block, not a PUBLIC KEY") && secret.contains("trust its public key"), secret);
        String certificate = invalid("[keys]\nacme = '''\n" + pem("CERTIFICATE", new byte[] {1, 2, 3}) + "'''\n");
        assertTrue(certificate.contains("keyless signing, which is not supported"), certificate);
        assertTrue(invalid("[keys]\nacme = '''\n" + pem("PUBLIC KEY", new byte[] {1, 2, 3}) + "'''\n")
                .contains("not an ECDSA, Ed25519 or RSA key"));
        assertTrue(invalid("[keys]\nacme = '''\n" + pem("PUBLIC KEY", generate("RSA", 1024).getPublic().getEncoded()) + "'''\n")
                .contains("an RSA key of 1024 bits; at least 2048 are required"));
        assertTrue(invalid("[keys]\nacme = '''\n" + pem("PUBLIC KEY", acme.getPublic().getEncoded()) + pem("PUBLIC KEY", acme.getPublic().getEncoded())
                + "'''\n").contains("2 PEM blocks"));
        assertTrue(invalid("this is = not toml").contains("is not valid TOML"));
        assertTrue(assertThrows(TrustPolicy.InvalidTrustPolicyException.class, () -> TrustPolicy.read(dir.resolve("none.toml")))
                .getMessage().contains("no such trust policy: " + dir.resolve("none.toml")));
    }

    @Test
    void keysVerifyTheSchemesCosignSignsWith() throws Exception {
        byte[] message = "{\"critical\":{}}".getBytes(StandardCharsets.UTF_8);
        record Case(KeyPair pair, String algorithm) {}
        for (Case c : new Case[] {
                new Case(ec("secp256r1"), "SHA256withECDSA"), new Case(ec("secp384r1"), "SHA384withECDSA"),
                new Case(ec("secp521r1"), "SHA512withECDSA"), new Case(generate("Ed25519", 0), "Ed25519"),
                new Case(generate("Ed25519", 0), "Ed25519ph"),
                new Case(generate("RSA", 2048), "SHA256withRSA")}) {
            TrustedKey key = TrustedKey.parse("k", pem("PUBLIC KEY", c.pair().getPublic().getEncoded()), "test key");
            byte[] signature = sign(c.algorithm(), c.pair(), message);
            assertTrue(key.verifies(message, signature), key.kind() + " " + c.algorithm());
            byte[] other = message.clone();
            other[0] ^= 1;
            assertFalse(key.verifies(other, signature), key.kind() + ": another message");
            assertFalse(key.verifies(message, new byte[] {1, 2, 3}), key.kind() + ": garbage is not a signature");
        }
        KeyPair a = ec("secp256r1");
        KeyPair b = ec("secp256r1");
        assertFalse(TrustedKey.parse("a", pem("PUBLIC KEY", a.getPublic().getEncoded()), "a").verifies(message, sign("SHA256withECDSA", b, message)),
                "another key's signature");
    }
}

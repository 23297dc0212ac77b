package dev.wassette;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The real cosign, installed by scripts/setup-registry-tools.sh: v2 signs with the legacy
 * simple-signing payload under the tag {@code sha256-<hex>.sig}, v3 attaches a Sigstore bundle that
 * names the artifact as its subject (the OCI referrers API, plus the referrers tag where the
 * registry does not answer with {@code OCI-Subject}). There is no network: both sign with
 * {@code --tlog-upload=false}, v3 also with {@code --use-signing-config=false} (deprecated there in
 * favour of a signing config without services; but with one, v3 fetches Sigstore's trusted root
 * unless given one, and with a trusted root of its own it checks its signature after signing and
 * rejects its own Ed25519 DSSE signatures, which are Ed25519ph). Every run has a private home; key files are written by cosign itself
 * ({@code generate-key-pair}, {@code import-key-pair}), encrypted with {@link #PASSWORD}.
 */
public final class Cosign {
    public static final String PASSWORD = "a test key's password";
    /** A cosign key pair: the encrypted private key and the public key (PEM), as cosign wrote them. */
    public record Key(Path privateKey, Path publicKey) {
        public String publicPem() {
            try {
                return Files.readString(publicKey);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final Path work;

    /** cosign runs in {@code work} (keys, the signing config, its private home). */
    public Cosign(Path work) {
        this.work = work;
        try {
            Files.createDirectories(work.resolve("cosign-home"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, String> environment() {
        Path home = work.resolve("cosign-home");
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("DOCKER_CONFIG", home.resolve(".docker").toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("XDG_CACHE_HOME", home.resolve(".cache").toString());
        env.put("TUF_ROOT", home.resolve(".sigstore").toString());
        env.put("COSIGN_PASSWORD", PASSWORD);
        return env;
    }

    private String run(Path binary, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString()));
        cmd.addAll(List.of(args));
        String output = RegistryTools.check(cmd, work, environment());
        if (output.contains("TUF") || output.contains("sigstore.dev")) {
            org.junit.jupiter.api.Assertions.fail("cosign tried to reach Sigstore's services (there is no network here):\n" + output);
        }
        return output;
    }

    /** {@code cosign generate-key-pair} (an ECDSA P-256 key): {@code NAME.key}, {@code NAME.pub}. */
    public Key generateKeyPair(String name) {
        run(RegistryTools.get().cosign2(), "generate-key-pair", "--output-key-prefix", name);
        return new Key(work.resolve(name + ".key"), work.resolve(name + ".pub"));
    }

    /** A key made by the JDK (Ed25519, RSA, another curve), imported with {@code cosign import-key-pair}. */
    public Key importKeyPair(String name, KeyPair pair) {
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        try {
            Path plain = Files.writeString(work.resolve(name + ".pkcs8.pem"), pem);
            run(RegistryTools.get().cosign2(), "import-key-pair", "--key", plain.toString(), "--output-key-prefix", name, "-y");
            Files.delete(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Key(work.resolve(name + ".key"), work.resolve(name + ".pub"));
    }

    /**
     * cosign v2 signs {@code image} ({@code REGISTRY/REPO@sha256:…}) in the legacy form: a layer
     * of the manifest tagged {@code sha256-<hex>.sig}.
     */
    public String signLegacy(Key key, String image) {
        return run(RegistryTools.get().cosign2(), "sign", "--key", key.privateKey().toString(), "--tlog-upload=false",
                "--allow-insecure-registry", "--allow-http-registry", "-y", image);
    }

    /** cosign v3 signs {@code image} with a Sigstore bundle (a DSSE envelope) attached as a referrer. */
    public String signBundle(Key key, String image) {
        return run(RegistryTools.get().cosign3(), "sign", "--key", key.privateKey().toString(), "--use-signing-config=false", "--tlog-upload=false",
                "--allow-insecure-registry", "--allow-http-registry", "-y", image);
    }

    /** cosign v3 {@code sign-blob}: a Sigstore bundle with a message signature of {@code file}, written to {@code bundle}. */
    public Path signBlob(Key key, Path file, Path bundle) {
        run(RegistryTools.get().cosign3(), "sign-blob", "--key", key.privateKey().toString(), "--use-signing-config=false", "--tlog-upload=false",
                "--new-bundle-format", "--bundle", bundle.toString(), "-y", file.toString());
        return bundle;
    }
}

package dev.wassette.source;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.EdDSAParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A public key a trust policy trusts, by the name the policy gives it: what {@code cosign
 * generate-key-pair} writes as {@code cosign.pub} (a PEM {@code PUBLIC KEY} block, X.509
 * SubjectPublicKeyInfo) — ECDSA (P-256, cosign's default; P-384, P-521), Ed25519 or RSA.
 *
 * <p>Signatures are checked the way cosign makes them, with the JDK's providers: ECDSA as ASN.1
 * DER over SHA-256 for P-256 (SHA-384 for P-384, SHA-512 for P-521), Ed25519 pre-hashed
 * (Ed25519ph: what cosign signs with an Ed25519 key, in both its forms) or over the message itself,
 * RSA as PKCS#1 v1.5 over SHA-256.
 *
 * @param name        the name the trust policy gives the key
 * @param key         the key
 * @param fingerprint {@code sha256:HEX} of the key's DER encoding (SubjectPublicKeyInfo), as
 *                    {@code openssl pkey -pubin -outform DER | sha256sum} prints it
 */
public record TrustedKey(String name, PublicKey key, String fingerprint) {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");
    private static final List<String> KEY_ALGORITHMS = List.of("EC", "Ed25519", "RSA");

    /**
     * Reads the one {@code PUBLIC KEY} PEM block in {@code pem}.
     *
     * @param where names the key in messages ("key acme (keys/acme.pub)")
     * @throws IllegalArgumentException naming what is wrong: no PEM block, another kind of block
     *     (a private key, a certificate), several keys, or a key of an unsupported algorithm
     */
    public static TrustedKey parse(String name, String pem, String where) {
        Matcher m = PEM.matcher(pem);
        List<String> blocks = new ArrayList<>();
        String body = null;
        while (m.find()) {
            blocks.add(m.group(1));
            if (m.group(1).equals("PUBLIC KEY")) {
                body = m.group(2);
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException(where + ": no PEM block (expected -----BEGIN PUBLIC KEY-----, as cosign generate-key-pair writes to cosign.pub)");
        }
        if (blocks.size() > 1) {
            throw new IllegalArgumentException(where + ": " + blocks.size() + " PEM blocks (" + String.join(", ", blocks)
                    + "); give one PUBLIC KEY per key name");
        }
        if (body == null) {
            String kind = blocks.getFirst();
            throw new IllegalArgumentException(where + ": a " + kind + " block, not a PUBLIC KEY"
                    + (kind.contains("PRIVATE") ? " (that is the signer's secret: trust its public key, cosign.pub, instead)"
                    : kind.equals("CERTIFICATE") ? " (certificates are keyless signing, which is not supported: trust a public key)"
                    : ""));
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(body.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": the PUBLIC KEY block is not valid base64: " + e.getMessage());
        }
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        for (String algorithm : KEY_ALGORITHMS) {
            PublicKey key;
            try {
                key = KeyFactory.getInstance(algorithm).generatePublic(spec);
            } catch (InvalidKeySpecException e) {
                continue; // another algorithm's key
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK lacks " + algorithm, e);
            }
            if (key instanceof ECPublicKey ec) {
                int bits = ec.getParams().getCurve().getField().getFieldSize();
                if (bits != 256 && bits != 384 && bits != 521) {
                    throw new IllegalArgumentException(where + ": an ECDSA key on a " + bits + "-bit curve; P-256, P-384 and P-521 are supported");
                }
            }
            if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < 2048) {
                throw new IllegalArgumentException(where + ": an RSA key of " + rsa.getModulus().bitLength() + " bits; at least 2048 are required");
            }
            return new TrustedKey(name, key, Digest.sha256(der).toString());
        }
        throw new IllegalArgumentException(where + ": the PUBLIC KEY is not an ECDSA, Ed25519 or RSA key");
    }

    /** The kind of key, for messages: {@code ECDSA P-256}, {@code Ed25519}, {@code RSA 4096}. */
    public String kind() {
        return switch (key) {
            case ECPublicKey ec -> "ECDSA P-" + ec.getParams().getCurve().getField().getFieldSize();
            case RSAPublicKey rsa -> "RSA " + rsa.getModulus().bitLength();
            case EdECPublicKey ed -> ed.getParams().getName();
            default -> key.getAlgorithm();
        };
    }

    /** Whether {@code signature} is this key's signature of {@code message}, made as cosign makes them. */
    public boolean verifies(byte[] message, byte[] signature) {
        for (Signature verifier : verifiers()) {
            try {
                verifier.initVerify(key);
                verifier.update(message);
                if (verifier.verify(signature)) {
                    return true;
                }
            } catch (SignatureException e) {
                // not a well-formed signature for this scheme: try the next, else it does not verify
            } catch (InvalidKeyException e) {
                throw new IllegalStateException(name + ": " + e.getMessage(), e);
            }
        }
        return false;
    }

    /** The schemes a signature by this key may be in, most usual first. */
    private List<Signature> verifiers() {
        try {
            return switch (key) {
                case ECPublicKey ec -> switch (ec.getParams().getCurve().getField().getFieldSize()) {
                    case 384 -> List.of(Signature.getInstance("SHA384withECDSA"));
                    case 521 -> List.of(Signature.getInstance("SHA512withECDSA"));
                    default -> List.of(Signature.getInstance("SHA256withECDSA"));
                };
                case RSAPublicKey rsa -> List.of(Signature.getInstance("SHA256withRSA"));
                default -> List.of(prehashedEd25519(), Signature.getInstance("Ed25519"));
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks a signature algorithm for " + kind() + ": " + e.getMessage(), e);
        }
    }

    private static Signature prehashedEd25519() throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.setParameter(new EdDSAParameterSpec(true));
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrustedKey k && k.name.equals(name) && k.fingerprint.equals(fingerprint);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + fingerprint.hashCode();
    }

    @Override
    public String toString() {
        return name + " (" + kind() + ", " + fingerprint + ")";
    }
}

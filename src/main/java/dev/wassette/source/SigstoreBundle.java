package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A Sigstore bundle ({@code application/vnd.dev.sigstore.bundle.v0.3+json}, also v0.1/v0.2) as
 * cosign v3 attaches it to an image, checked against trusted keys offline: its signature is
 * verified with the keys alone — transparency-log entries and certificates it may carry are not
 * consulted — and what it signs must name the manifest digest that was pulled.
 *
 * <ul>
 *   <li>a DSSE envelope ({@code cosign sign} in v3): the signature over the envelope's
 *       pre-authentication encoding; the payload an in-toto statement of cosign's signing predicate
 *       ({@code https://sigstore.dev/cosign/sign/v1}) whose subject has the digest — an
 *       attestation of another predicate (provenance, SBOM) is not a signature of the artifact;</li>
 *   <li>a message signature ({@code cosign sign-blob} of the manifest): its message digest is the
 *       manifest digest, and the signature verifies over the manifest's bytes.</li>
 * </ul>
 */
final class SigstoreBundle {
    static final String MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle";
    static final String IN_TOTO_PAYLOAD = "application/vnd.in-toto+json";
    static final String COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
    private static final Set<String> STATEMENT_TYPES = Set.of("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The outcome: the key that signed (null: none of them), or why it is not a signature of the digest. */
    record Checked(TrustedKey signer, String problem, String content) {}

    private SigstoreBundle() {}

    static boolean isBundleType(String mediaType) {
        return mediaType != null && mediaType.startsWith(MEDIA_TYPE_PREFIX);
    }

    /**
     * Checks {@code bundle} against {@code keys}: it verifies when one of them signed it and what it
     * signs names {@code digest}, the manifest whose bytes are {@code manifest}.
     */
    static Checked check(byte[] bundle, Digest digest, byte[] manifest, List<TrustedKey> keys) {
        JsonNode root;
        try {
            root = JSON.readTree(bundle);
        } catch (IOException e) {
            return new Checked(null, "the bundle is not JSON: " + e.getMessage(), "bundle");
        }
        if (root == null || !root.isObject() || !isBundleType(root.path("mediaType").asText(null))) {
            return new Checked(null, "not a Sigstore bundle (mediaType " + (root == null ? "missing" : root.path("mediaType")) + ")", "bundle");
        }
        if (root.has("dsseEnvelope")) {
            return dsse(root.get("dsseEnvelope"), digest, keys);
        }
        if (root.has("messageSignature")) {
            return messageSignature(root.get("messageSignature"), digest, manifest, keys);
        }
        return new Checked(null, "the bundle has neither a DSSE envelope nor a message signature", "bundle");
    }

    private static Checked dsse(JsonNode envelope, Digest digest, List<TrustedKey> keys) {
        String content = "DSSE envelope";
        String payloadType = envelope.path("payloadType").asText("");
        byte[] payload;
        List<byte[]> signatures = new ArrayList<>();
        try {
            payload = Base64.getDecoder().decode(envelope.path("payload").asText(""));
            for (JsonNode s : envelope.path("signatures")) {
                signatures.add(Base64.getDecoder().decode(s.path("sig").asText("")));
            }
        } catch (IllegalArgumentException e) {
            return new Checked(null, "the DSSE envelope's payload or signature is not base64", content);
        }
        if (signatures.isEmpty()) {
            return new Checked(null, "the DSSE envelope has no signature", content);
        }
        byte[] pae = preAuthenticationEncoding(payloadType, payload);
        TrustedKey signer = signerOf(pae, signatures, keys);
        if (signer == null) {
            return new Checked(null, notSigned(keys), content);
        }
        if (!payloadType.equals(IN_TOTO_PAYLOAD)) {
            return new Checked(null, "signed by " + signer.name() + ", but its payload is " + payloadType + ", not an in-toto statement", content);
        }
        JsonNode statement;
        try {
            statement = JSON.readTree(payload);
        } catch (IOException e) {
            return new Checked(null, "signed by " + signer.name() + ", but its payload is not JSON", content);
        }
        if (statement == null || !STATEMENT_TYPES.contains(statement.path("_type").asText(""))) {
            return new Checked(null, "signed by " + signer.name() + ", but its payload is not an in-toto statement", content);
        }
        String predicate = statement.path("predicateType").asText("");
        content = "in-toto statement (" + predicate + ")";
        if (!predicate.equals(COSIGN_SIGN_PREDICATE)) {
            return new Checked(null, "signed by " + signer.name() + ", but it is an attestation of " + predicate
                    + ", not cosign's signature (" + COSIGN_SIGN_PREDICATE + ")", content);
        }
        List<String> named = new ArrayList<>();
        for (JsonNode subject : statement.path("subject")) {
            String hex = subject.path("digest").path(digest.algorithm()).asText("");
            if (hex.equals(digest.hex())) {
                return new Checked(signer, null, content);
            }
            subject.path("digest").properties().forEach(d -> named.add(d.getKey() + ":" + d.getValue().asText()));
        }
        return new Checked(null, "signed by " + signer.name() + ", but it names " + (named.isEmpty() ? "no digest" : String.join(", ", named))
                + ", not the digest pulled", content);
    }

    private static Checked messageSignature(JsonNode message, Digest digest, byte[] manifest, List<TrustedKey> keys) {
        String content = "message signature";
        String algorithm = message.path("messageDigest").path("algorithm").asText("");
        byte[] signature;
        byte[] signedDigest;
        try {
            signature = Base64.getDecoder().decode(message.path("signature").asText(""));
            signedDigest = Base64.getDecoder().decode(message.path("messageDigest").path("digest").asText(""));
        } catch (IllegalArgumentException e) {
            return new Checked(null, "the message signature or digest is not base64", content);
        }
        String expected = switch (digest.algorithm()) {
            case "sha256" -> "SHA2_256";
            case "sha512" -> "SHA2_512";
            default -> "";
        };
        if (!algorithm.equals(expected)) {
            return new Checked(null, "its message digest is " + (algorithm.isEmpty() ? "missing" : algorithm) + ", the manifest's is " + digest, content);
        }
        String named = HexFormat.of().formatHex(signedDigest);
        if (!named.equals(digest.hex())) {
            return new Checked(null, "it signs " + digest.algorithm() + ":" + named + ", not the digest pulled", content);
        }
        if (manifest == null) {
            return new Checked(null, "the signed manifest's bytes are not at hand", content);
        }
        TrustedKey signer = signerOf(manifest, List.of(signature), keys);
        return signer == null ? new Checked(null, notSigned(keys), content) : new Checked(signer, null, content);
    }

    /** DSSE's PAE: {@code "DSSEv1" SP len(type) SP type SP len(body) SP body}. */
    static byte[] preAuthenticationEncoding(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(type);
        out.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(payload);
        return out.toByteArray();
    }

    /** The first of {@code keys} whose signature of {@code message} one of {@code signatures} is, or null. */
    static TrustedKey signerOf(byte[] message, List<byte[]> signatures, List<TrustedKey> keys) {
        for (byte[] signature : signatures) {
            for (TrustedKey key : keys) {
                if (key.verifies(message, signature)) {
                    return key;
                }
            }
        }
        return null;
    }

    static String notSigned(List<TrustedKey> keys) {
        return "not signed by " + (keys.size() == 1 ? "the trusted key " + keys.getFirst().name()
                : "any of the trusted keys (" + String.join(", ", keys.stream().map(TrustedKey::name).toList()) + ")");
    }
}

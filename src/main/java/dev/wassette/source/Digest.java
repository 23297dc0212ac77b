package dev.wassette.source;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A content digest as OCI writes it, {@code algorithm:hex}: {@code sha256} (what registries, wkg,
 * oras and cosign use) or {@code sha512}.
 */
public record Digest(String algorithm, String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

    public Digest {
        int length = switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> throw new IllegalArgumentException("unsupported digest algorithm \"" + algorithm + "\" (sha256 or sha512)");
        };
        if (hex.length() != length || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("invalid " + algorithm + " digest \"" + hex + "\" (" + length + " lower-case hex digits)");
        }
    }

    /** Parses {@code sha256:HEX}; upper-case hex is accepted and kept lower-case. */
    public static Digest parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid digest \"" + text + "\" (expected sha256:HEX)");
        }
        return new Digest(text.substring(0, colon).toLowerCase(Locale.ROOT), text.substring(colon + 1).toLowerCase(Locale.ROOT));
    }

    public static Digest sha256(byte[] bytes) {
        return new Digest("sha256", HexFormat.of().formatHex(hasher("sha256").digest(bytes)));
    }

    /** A fresh hasher for {@code algorithm}. */
    static MessageDigest hasher(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + algorithm, e);
        }
    }

    MessageDigest newHasher() {
        return hasher(algorithm);
    }

    /** The digest of what {@code hasher} (made by {@link #newHasher}) has seen. */
    boolean matches(MessageDigest hasher) {
        return MessageDigest.isEqual(HexFormat.of().parseHex(hex), hasher.digest());
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}

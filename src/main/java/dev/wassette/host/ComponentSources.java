package dev.wassette.host;

import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where components come from: the one function, {@link #fetch}, that turns what a user names — the
 * {@code path} of {@code load-component}, the file of {@code wassette component load}, the
 * {@code uri} of a provisioning manifest entry — into the component's bytes and what arrived with
 * them: the policy the component declares (shown to the user, never applied by itself), and the
 * trust policy's verdict on it.
 *
 * <p>Today: files, as {@code file://} URIs or paths (relative ones resolve against the caller's
 * base directory). A file's declaration is Wassette's co-located policy convention:
 * {@code <name>.policy.yaml} beside {@code <name>.wasm}. {@code oci://}, {@code https://} and
 * {@code http://} are refused with a clear message; the registry and HTTPS sources extend
 * {@link #fetch} (and {@link #suggestedId}) for them, returning the policy layer of an artifact as
 * its declaration and the signature verdict as {@link Fetched#trust()}.
 */
public final class ComponentSources {
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private ComponentSources() {}

    /**
     * A fetched component.
     *
     * @param source             what it was fetched from, for messages ({@code /abs/io.wasm}, {@code oci://…})
     * @param bytes              the component (binary or text)
     * @param digest             {@code sha256:…} of {@code bytes}
     * @param suggestedId        the component id when the caller names none
     * @param declaredPolicy     the policy that arrived with it (validated), or null
     * @param declaredPolicyFrom where that policy came from, for messages, or null
     * @param trust              the trust policy's verdict ({@link TrustDecision#UNVERIFIED} for files)
     */
    public record Fetched(String source, byte[] bytes, String digest, String suggestedId, String declaredPolicy,
                          String declaredPolicyFrom, TrustDecision trust) {}

    /** A source that cannot be fetched, or whose bytes are not the ones pinned; the message says which and why. */
    public static final class SourceException extends Exception {
        public SourceException(String message) {
            super(message);
        }
    }

    /**
     * Fetches the component {@code uri} names.
     *
     * @param baseDir        where relative paths resolve
     * @param expectedDigest {@code sha256:HEX} the component's bytes must have, or null for no pin
     *                       (registry sources pin what they pull: their extension decides what it is checked against)
     * @throws SourceException when there is nothing to fetch there, the scheme is not supported, the
     *                         bytes do not match {@code expectedDigest}, or the declared policy is invalid
     */
    public static Fetched fetch(String uri, Path baseDir, String expectedDigest) throws SourceException, IOException {
        if (expectedDigest != null) {
            checkDigest(expectedDigest);
        }
        Path file = localFile(uri, baseDir);
        if (!Files.isRegularFile(file)) {
            throw new SourceException("no such file: " + file);
        }
        byte[] bytes = Files.readAllBytes(file);
        String digest = "sha256:" + ComponentMetadata.sha256(bytes);
        if (expectedDigest != null && !expectedDigest.equals(digest)) {
            throw new SourceException("digest mismatch: " + file + " is " + digest + ", not the " + expectedDigest + " expected");
        }
        Path declaration = declarationBeside(file);
        String declared = null;
        if (Files.isRegularFile(declaration)) {
            declared = Files.readString(declaration, StandardCharsets.UTF_8);
            try {
                PolicyParser.parse(declared, declaration.toString());
            } catch (PolicyException e) {
                throw new SourceException("the policy declared beside the component is invalid (fix or remove it): "
                        + String.join("; ", e.problems()));
            }
        }
        return new Fetched(file.toString(), bytes, digest, ComponentStore.idFor(file.getFileName().toString()), declared,
                declared == null ? null : declaration.toString(), TrustDecision.UNVERIFIED);
    }

    /**
     * The component id {@link #fetch} would suggest for {@code uri}, without fetching: the file
     * name (or last path segment) without extension, tag or digest.
     */
    public static String suggestedId(String uri) {
        String path = uri;
        int scheme = path.indexOf("://");
        if (scheme >= 0) {
            path = path.substring(scheme + 3);
        }
        path = path.replaceFirst("[?#].*$", "").replaceFirst("@sha256:[0-9a-fA-F]*$", "");
        String last = path.substring(path.lastIndexOf('/') + 1);
        if (isRegistry(uri) && last.contains(":")) {
            last = last.substring(0, last.indexOf(':')); // the tag
        }
        return ComponentStore.idFor(last);
    }

    /** Whether {@code uri} names a remote source (not a file), whose bytes a manifest must pin. */
    public static boolean isRemote(String uri) {
        String lower = uri.toLowerCase(Locale.ROOT);
        return isRegistry(uri) || lower.startsWith("https://") || lower.startsWith("http://");
    }

    private static boolean isRegistry(String uri) {
        return uri.toLowerCase(Locale.ROOT).startsWith("oci://");
    }

    /** The scheme of a remote {@code uri}, for messages. */
    public static String scheme(String uri) {
        return uri.substring(0, uri.indexOf(':')).toLowerCase(Locale.ROOT);
    }

    /** A digest as manifests and pins write it: {@code sha256:} and 64 lower-case hex digits. */
    public static void checkDigest(String digest) throws SourceException {
        if (!DIGEST.matcher(digest).matches()) {
            throw new SourceException("digest \"" + digest + "\" is not sha256: followed by 64 lower-case hex digits");
        }
    }

    /** Where a component file's declaration is, by Wassette's convention: {@code <name>.policy.yaml} beside {@code <name>.wasm}. */
    public static Path declarationBeside(Path componentFile) {
        String name = componentFile.getFileName().toString().replaceFirst("\\.(wasm|wat)$", "");
        return componentFile.resolveSibling(name + ".policy.yaml");
    }

    private static Path localFile(String uri, Path baseDir) throws SourceException {
        if (isRemote(uri)) {
            throw new SourceException("loading from " + scheme(uri) + ":// is not supported yet; use a file:// path");
        }
        if (uri.startsWith("file://")) {
            try {
                return Path.of(URI.create(uri));
            } catch (IllegalArgumentException e) {
                throw new SourceException("invalid file URI \"" + uri + "\": " + e.getMessage());
            }
        }
        if (uri.contains("://")) {
            throw new SourceException("unsupported URI scheme in \"" + uri + "\" (use file://)");
        }
        return baseDir.resolve(uri).toAbsolutePath().normalize();
    }
}

package dev.wassette.host;

import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import dev.wassette.source.ComponentFetcher;
import dev.wassette.source.ComponentSource;
import dev.wassette.source.Digest;
import dev.wassette.source.FetchedComponent;
import dev.wassette.source.Progress;
import dev.wassette.source.RegistryCredentials;
import dev.wassette.source.SignatureVerifier;
import dev.wassette.source.SourceSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where components come from: the one function, {@link #fetch}, that turns what a user names — the
 * {@code path} of {@code load-component}, the source of {@code wassette component load}, the
 * {@code uri} of a provisioning manifest entry — into the component's bytes and what arrived with
 * them: the policy the component declares (shown to the user, never applied by itself), the trust
 * policy's verdict on it, and where exactly it came from ({@link ComponentOrigin}).
 *
 * <p>Files, as {@code file://} URIs or paths (relative ones resolve against the caller's base
 * directory): a file's declaration is Wassette's co-located policy convention,
 * {@code <name>.policy.yaml} beside {@code <name>.wasm}. {@code oci://} and {@code https://} sources
 * are fetched and verified by {@link ComponentFetcher} (the {@code dev.wassette.source} package):
 * an OCI artifact's policy layer is its declaration. A pin ({@code expectedDigest}) is a file's or
 * HTTPS body's SHA-256, or an OCI artifact's manifest digest. An OCI artifact's cosign signatures are
 * checked against the trust policy of the source settings ({@link SignatureVerifier}) before
 * anything is stored: where a signature is required and none verifies, the fetch fails; the verdict
 * ({@link TrustDecision}) decides whether the artifact's declaration is applied. Files and HTTPS
 * downloads carry no signature.
 */
public final class ComponentSources {
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    private static volatile ComponentSources defaults;

    private final ComponentFetcher fetcher;
    private volatile HostEvents events;

    /** Sources fetched under {@code settings} (blob cache, insecure registries, CAs, size caps, timeouts). */
    public ComponentSources(SourceSettings settings) {
        this.fetcher = new ComponentFetcher(settings);
        this.events = HostEvents.NONE;
    }

    public SourceSettings settings() {
        return fetcher.settings();
    }

    /**
     * A fetched component.
     *
     * @param source             what it was fetched from, for messages ({@code /abs/io.wasm}, {@code oci://…})
     * @param bytes              the component (binary or text)
     * @param digest             {@code sha256:…} the source is pinned by: of {@code bytes}, or an OCI artifact's manifest
     * @param suggestedId        the component id when the caller names none
     * @param declaredPolicy     the policy that arrived with it (validated), or null
     * @param declaredPolicyFrom where that policy came from, for messages, or null
     * @param trust              the trust policy's verdict on its signature ({@link TrustDecision#UNVERIFIED} for files)
     * @param origin             where exactly it came from, recorded beside the stored component; null: not recorded
     * @param fromCache          everything came from the blob cache, without network access (always true for files)
     */
    public record Fetched(String source, byte[] bytes, String digest, String suggestedId, String declaredPolicy,
                          String declaredPolicyFrom, TrustDecision trust, ComponentOrigin origin, boolean fromCache) {
        /** A fetched component whose origin is not recorded. */
        public Fetched(String source, byte[] bytes, String digest, String suggestedId, String declaredPolicy,
                       String declaredPolicyFrom, TrustDecision trust) {
            this(source, bytes, digest, suggestedId, declaredPolicy, declaredPolicyFrom, trust, null, true);
        }
    }

    /** A source that cannot be fetched, or whose bytes are not the ones pinned; the message says which and why. */
    public static final class SourceException extends Exception {
        public SourceException(String message) {
            super(message);
        }
    }

    /**
     * Fetches the component {@code uri} names with the default source settings (the user's blob
     * cache, no insecure registries, the JVM's CAs) and this process's registry credentials.
     */
    public static Fetched fetch(String uri, Path baseDir, String expectedDigest) throws SourceException, IOException {
        ComponentSources d = defaults;
        if (d == null) {
            d = new ComponentSources(SourceSettings.defaults(Paths.blobCacheDirectory()));
            defaults = d;
        }
        return d.fetch(uri, baseDir, expectedDigest, RegistryCredentials.fromEnvironment(System.getenv()), Progress.NONE);
    }

    /**
     * Fetches the component {@code uri} names.
     *
     * @param baseDir        where relative paths resolve
     * @param expectedDigest {@code sha256:HEX} pin, or null: a file's or HTTPS body's digest, an OCI artifact's manifest digest
     * @param credentials    offered to registries that ask for them
     * @param progress       hears about downloads
     * @throws SourceException when there is nothing to fetch there, the scheme is not supported, the
     *                         bytes do not match {@code expectedDigest} or fail any other check, or
     *                         the declared policy is invalid; nothing is stored then
     */
    public Fetched fetch(String uri, Path baseDir, String expectedDigest, RegistryCredentials credentials, Progress progress)
            throws SourceException, IOException {
        long start = System.nanoTime();
        String kind = isRegistry(uri) ? "oci" : isRemote(uri) ? "http" : "file";
        try {
            Fetched fetched = fetchUnobserved(uri, baseDir, expectedDigest, credentials, progress);
            events.fetched(kind, System.nanoTime() - start, null);
            return fetched;
        } catch (SourceException | IOException | RuntimeException e) {
            events.fetched(kind, System.nanoTime() - start, e.getClass().getName());
            throw e;
        }
    }

    /** Who hears of each fetch (see {@link HostEvents#fetched}). */
    void events(HostEvents events) {
        this.events = events;
    }

    private Fetched fetchUnobserved(String uri, Path baseDir, String expectedDigest, RegistryCredentials credentials, Progress progress)
            throws SourceException, IOException {
        if (expectedDigest != null) {
            checkDigest(expectedDigest);
        }
        if (!isRemote(uri)) {
            return fetchFile(uri, baseDir, expectedDigest);
        }
        ComponentSource source;
        try {
            source = ComponentSource.parse(uri, baseDir, expectedDigest == null ? null : Digest.parse(expectedDigest));
        } catch (IllegalArgumentException e) {
            throw new SourceException(e.getMessage());
        }
        FetchedComponent f;
        TrustDecision trust;
        try {
            f = fetcher.fetch(source, credentials, progress);
            // f.digest() is exactly the manifest pulled: its signatures are checked before anything is stored.
            trust = decide(fetcher.verifySignatures(f, credentials));
        } catch (dev.wassette.source.SourceException e) {
            throw new SourceException(e.getMessage());
        }
        String declaredFrom = null;
        if (f.declaredPolicy() != null) {
            declaredFrom = "the policy layer (" + f.declaredPolicyMediaType() + ") of " + f.resolved();
            try {
                PolicyParser.parse(f.declaredPolicy(), declaredFrom);
            } catch (PolicyException e) {
                throw new SourceException(declaredFrom + " is invalid, so the artifact is refused: " + String.join("; ", e.problems()));
            }
        }
        return new Fetched(source.toString(), f.bytes(), f.digest().toString(), ComponentStore.idFor(source.suggestedName()),
                f.declaredPolicy(), declaredFrom, trust, ComponentOrigin.of(f, trust), f.offline());
    }

    /**
     * The trust policy's verdict on a fetched artifact's signatures (null: a download without any).
     *
     * @throws dev.wassette.source.SourceException when the trust policy requires a signature that
     *     did not verify, naming the reference, the digest and why
     */
    static TrustDecision decide(SignatureVerifier.Result verification) throws dev.wassette.source.SourceException {
        if (verification == null) {
            return new TrustDecision(false, false, "an HTTPS download carries no signature");
        }
        verification.requireAccepted();
        SignatureVerifier.Found signed = verification.verified();
        return new TrustDecision(signed != null, verification.appliesDeclaration(), verification.reason(),
                signed == null ? null : signed.signer().name() + " (" + signed.signer().fingerprint() + "), " + signed.form().label());
    }

    private static Fetched fetchFile(String uri, Path baseDir, String expectedDigest) throws SourceException, IOException {
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
        String location = file.toUri().toString();
        ComponentOrigin origin = new ComponentOrigin(location, location, digest, digest, java.time.Instant.now());
        return new Fetched(file.toString(), bytes, digest, ComponentStore.idFor(file.getFileName().toString()), declared,
                declared == null ? null : declaration.toString(), TrustDecision.UNVERIFIED, origin, true);
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
        if (uri.startsWith("file://")) {
            try {
                return Path.of(URI.create(uri));
            } catch (IllegalArgumentException e) {
                throw new SourceException("invalid file URI \"" + uri + "\": " + e.getMessage());
            }
        }
        if (uri.contains("://")) {
            throw new SourceException("unsupported URI scheme in \"" + uri + "\" (file://, a path, https:// or oci://)");
        }
        return baseDir.resolve(uri).toAbsolutePath().normalize();
    }
}

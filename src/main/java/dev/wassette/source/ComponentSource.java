package dev.wassette.source;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a component comes from: a local file ({@code file://} or a path), an HTTPS URL (optionally
 * pinned, {@code https://…/x.wasm#sha256=HEX}) or an OCI artifact ({@code oci://REGISTRY/REPO:TAG},
 * {@code oci://REGISTRY/REPO@sha256:HEX}). A pin is the digest the fetched bytes must have: of the
 * file's or body's bytes, of an OCI artifact's manifest.
 */
public sealed interface ComponentSource {
    /** The digest the artifact must have, or null. */
    Digest pin();

    /** How messages name the source: a file by its path, others as written. */
    default String label() {
        return this instanceof File f ? f.path().toString() : toString();
    }

    /** The component id this source suggests (a file name's stem, a repository's last component). */
    String suggestedName();

    record File(Path path, Digest pin) implements ComponentSource {
        @Override
        public String suggestedName() {
            return path.getFileName().toString();
        }

        @Override
        public String toString() {
            return path.toUri().toString();
        }
    }

    /** {@code uri} is what is requested: without the pin's fragment. */
    record Https(URI uri, Digest pin) implements ComponentSource {
        @Override
        public String suggestedName() {
            String p = uri.getPath() == null ? "" : uri.getPath();
            String last = p.substring(p.lastIndexOf('/') + 1);
            return last.isEmpty() ? uri.getHost() : last;
        }

        @Override
        public String toString() {
            return uri + (pin != null ? "#" + pin.algorithm() + "=" + pin.hex() : "");
        }
    }

    /** {@code pin} is the reference's digest, or the one given beside a tag. */
    record Oci(OciReference reference, Digest pin) implements ComponentSource {
        @Override
        public String suggestedName() {
            String repo = reference.repository();
            return repo.substring(repo.lastIndexOf('/') + 1);
        }

        @Override
        public String toString() {
            return reference.toString();
        }
    }

    /**
     * Parses a source as users write it. {@code baseDir} resolves relative paths; {@code pin} is a
     * digest given separately ({@code --digest}), which must agree with one in the text.
     *
     * @throws IllegalArgumentException with a message naming what is wrong
     */
    static ComponentSource parse(String text, Path baseDir, Digest pin) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("no component source given");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("oci://")) {
            OciReference ref = OciReference.parse(text);
            return new Oci(ref, agree(text, ref.digest(), pin));
        }
        if (lower.startsWith("https://")) {
            return https(text, pin);
        }
        if (lower.startsWith("http://")) {
            throw new IllegalArgumentException("plain http:// is refused for \"" + text + "\": its bytes could be changed on the way; use https://");
        }
        if (lower.startsWith("file:")) {
            Path path;
            try {
                path = Path.of(new URI(text));
            } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                throw new IllegalArgumentException("invalid file URI \"" + text + "\": " + e.getMessage());
            }
            return new File(path, pin);
        }
        if (text.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("unsupported source scheme in \"" + text + "\" (file://, a path, https:// or oci://)");
        }
        return new File(baseDir.resolve(text).normalize(), pin);
    }

    private static Https https(String text, Digest pin) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid URL \"" + text + "\": " + e.getMessage());
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("invalid URL \"" + text + "\": no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("credentials in a URL are refused (they would be stored and shown with the component's source): " + uri.getHost());
        }
        Digest fragmentPin = null;
        String fragment = uri.getFragment();
        if (fragment != null) {
            int eq = fragment.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("the fragment of \"" + text + "\" is not a pin (expected #sha256=HEX)");
            }
            fragmentPin = Digest.parse(fragment.substring(0, eq) + ":" + fragment.substring(eq + 1));
        }
        // The same URL without its fragment, from the raw (still escaped) parts.
        URI request = URI.create("https://" + uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        return new Https(request, agree(text, fragmentPin, pin));
    }

    private static Digest agree(String text, Digest inText, Digest given) {
        if (inText != null && given != null && !inText.equals(given)) {
            throw new IllegalArgumentException("two different digests for \"" + text + "\": " + inText + " in the source, " + given + " given");
        }
        return inText != null ? inText : given;
    }
}

package dev.wassette.source;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reference to an artifact in an OCI registry: {@code oci://REGISTRY/REPOSITORY[:TAG][@DIGEST]}
 * (without tag or digest: {@code latest}). Repository and tag follow the distribution spec's
 * grammar; the registry is a host with an optional port ({@code [::1]:5000} for IPv6).
 */
public record OciReference(String registry, String repository, String tag, Digest digest) {
    private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final Pattern REGISTRY = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])(?::([0-9]{1,5}))?");

    public OciReference {
        if (tag == null && digest == null) {
            throw new IllegalArgumentException("a reference needs a tag or a digest");
        }
    }

    /** Parses {@code oci://…} (the scheme may be left out). */
    public static OciReference parse(String text) {
        String rest = text.startsWith("oci://") ? text.substring("oci://".length()) : text;
        int slash = rest.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("invalid OCI reference \"" + text + "\" (expected oci://REGISTRY/REPOSITORY:TAG or …@sha256:HEX)");
        }
        String registry = rest.substring(0, slash).toLowerCase(Locale.ROOT);
        Matcher m = REGISTRY.matcher(registry);
        if (!m.matches() || m.group(1) != null && Integer.parseInt(m.group(1)) > 65535) {
            throw new IllegalArgumentException("invalid registry \"" + registry + "\" in \"" + text + "\"");
        }
        String path = rest.substring(slash + 1);
        Digest digest = null;
        int at = path.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(path.substring(at + 1));
            path = path.substring(0, at);
        }
        String tag = null;
        int colon = path.lastIndexOf(':');
        if (colon > path.lastIndexOf('/')) {
            tag = path.substring(colon + 1);
            path = path.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid tag \"" + tag + "\" in \"" + text + "\"");
            }
        }
        if (!REPOSITORY.matcher(path).matches()) {
            throw new IllegalArgumentException("invalid repository \"" + path + "\" in \"" + text
                    + "\" (lower-case letters, digits and separators . _ __ - between path components)");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new OciReference(registry, path, tag, digest);
    }

    /** The host name the distribution API is served on (Docker Hub's differs from its name). */
    public String apiHost() {
        return registry.equals("docker.io") || registry.equals("index.docker.io") ? "registry-1.docker.io" : registry;
    }

    /** The repository as the API names it (Docker Hub's official images live under {@code library/}). */
    public String apiRepository() {
        return apiHost().equals("registry-1.docker.io") && !repository.contains("/") ? "library/" + repository : repository;
    }

    /** The same repository at {@code digest}. */
    public OciReference at(Digest other) {
        return new OciReference(registry, repository, null, other);
    }

    /** What to ask the registry for: the digest when there is one, else the tag. */
    String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    @Override
    public String toString() {
        return "oci://" + registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }
}

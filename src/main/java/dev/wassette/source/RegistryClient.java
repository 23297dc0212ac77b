package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of the OCI distribution API for pulling: manifests by tag or digest, blobs (following
 * redirects to blob storage), and the referrers of a manifest. Authentication follows the
 * registry's {@code WWW-Authenticate} challenge: a bearer token from its token service (anonymous,
 * or with the registry's Basic credentials) or Basic credentials directly. Registries are spoken to
 * over HTTPS; plain HTTP only for loopback hosts and registries listed as insecure.
 *
 * <p>Every manifest is checked against the digest it was asked for (or, fetched by tag, against
 * the registry's {@code Docker-Content-Digest}), within the manifest size cap; every blob against its
 * descriptor's digest and size while it streams.
 */
public final class RegistryClient implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.source");
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String MANIFEST_ACCEPT = String.join(", ", OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);
    /** A token response is a small JSON object. */
    private static final long MAX_TOKEN_BYTES = 1 << 20;
    private static final Pattern AUTH_PARAM = Pattern.compile("([A-Za-z0-9_.-]+)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s,\"]+))");

    /** A manifest or index as the registry served it, with the digest of exactly these bytes. */
    public record Manifest(Digest digest, String mediaType, byte[] bytes) {
        /** The parsed JSON. */
        public JsonNode json() throws SourceException {
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new SourceException("manifest " + digest + " is not valid JSON: " + e.getMessage(), e);
            }
        }
    }

    private final HttpTransfer http;
    private final RegistryCredentials credentials;
    /** Per registry: its base URL. */
    private final Map<String, URI> bases = new ConcurrentHashMap<>();
    /** Per registry and repository: the Authorization value that last worked. */
    private final Map<String, String> authorizations = new ConcurrentHashMap<>();

    public RegistryClient(SourceSettings settings, RegistryCredentials credentials) throws SourceException {
        this(new HttpTransfer(settings), credentials);
    }

    RegistryClient(HttpTransfer http, RegistryCredentials credentials) {
        this.http = http;
        this.credentials = credentials;
    }

    /** Ends the client's connections. */
    @Override
    public void close() {
        http.close();
    }

    /**
     * The manifest (or index) {@code ref} names, by its digest when it has one, else by its tag.
     *
     * @throws SourceException when it does not exist, is over the size cap, is of an unknown media
     *     type, or its bytes do not have the digest asked for
     */
    public Manifest manifest(OciReference ref) throws SourceException {
        return manifestIfPresent(ref).orElseThrow(() -> new SourceException(ref + ": not found in the registry ("
                + (ref.digest() != null ? "no manifest " + ref.digest() : "no tag \"" + ref.tag() + "\"") + " in " + ref.repository() + ")"));
    }

    /** {@link #manifest}, or empty when the registry has no such tag or digest (e.g. a signature tag). */
    public Optional<Manifest> manifestIfPresent(OciReference ref) throws SourceException {
        String what = "manifest of " + ref;
        try (HttpTransfer.Response r = request(ref, "/manifests/" + ref.manifestReference(), Map.of("Accept", MANIFEST_ACCEPT))) {
            if (r.status() == 404) {
                String why = registryErrors(r);
                LOG.log(System.Logger.Level.DEBUG, "{0}: 404 {1}", ref, why);
                return Optional.empty();
            }
            requireOk(r, what);
            byte[] bytes = r.readAll(http.settings().maxManifestBytes(), what);
            Digest asked = ref.digest();
            Digest actual = digestOf(asked != null ? asked.algorithm() : "sha256", bytes);
            if (asked != null && !asked.equals(actual)) {
                throw new SourceException(what + ": digest mismatch: asked for " + asked + ", the registry served bytes with " + actual);
            }
            String announced = r.header("Docker-Content-Digest");
            if (asked == null && announced != null) {
                Digest said;
                try {
                    said = Digest.parse(announced.strip());
                } catch (IllegalArgumentException e) {
                    throw new SourceException(what + ": the registry announced an invalid digest \"" + announced + "\"");
                }
                if (said.algorithm().equals(actual.algorithm()) && !said.equals(actual)) {
                    throw new SourceException(what + ": digest mismatch: the registry announced " + said + " but served bytes with " + actual);
                }
            }
            return Optional.of(new Manifest(actual, mediaTypeOf(r.mediaType(), bytes, what), bytes));
        }
    }

    /**
     * Streams the blob {@code digest} of {@code repository} (of {@code size} bytes, as its descriptor
     * says) into {@code sink}, which checks size and digest.
     */
    void blob(OciReference repository, Digest digest, long size, long cap, BlobCache.Write sink, String what) throws SourceException {
        if (size > cap) {
            throw new SourceException(what + " is " + size + " bytes, over the limit of " + cap + " bytes");
        }
        try (HttpTransfer.Response r = request(repository, "/blobs/" + digest, Map.of())) {
            if (r.status() == 404) {
                throw new SourceException(what + ": the registry has no blob " + digest + " in " + repository.repository() + registryErrors(r));
            }
            requireOk(r, what);
            long announced = r.contentLength();
            if (announced >= 0 && announced != size) {
                throw new SourceException(what + ": the registry announced " + announced + " bytes, its descriptor declares " + size);
            }
            r.read(cap, what, sink::accept); // the sink stops at the declared size
        }
    }

    /** The whole blob, checked against {@code digest} and {@code size}, for small blobs (configs, signatures). */
    public byte[] blobBytes(OciReference repository, Digest digest, long size, long cap) throws SourceException {
        String what = "blob " + digest + " of " + repository.registry() + "/" + repository.repository();
        if (size > cap) {
            throw new SourceException(what + " is " + size + " bytes, over the limit of " + cap + " bytes");
        }
        try (HttpTransfer.Response r = request(repository, "/blobs/" + digest, Map.of())) {
            requireOk(r, what);
            byte[] bytes = r.readAll(Math.min(cap, size), what);
            if (bytes.length != size) {
                throw new SourceException(what + ": received " + bytes.length + " bytes, its descriptor declares " + size);
            }
            if (!digestOf(digest.algorithm(), bytes).equals(digest)) {
                throw new SourceException(what + ": digest mismatch");
            }
            return bytes;
        }
    }

    /**
     * The referrers of {@code subject} in {@code repository} (an OCI image index of descriptors),
     * filtered by {@code artifactType} when not null; empty when the registry does not offer the
     * referrers API (then look for the tag schema's {@code sha256-<hex>} tags instead).
     */
    public Optional<JsonNode> referrers(OciReference repository, Digest subject, String artifactType) throws SourceException {
        String path = "/referrers/" + subject + (artifactType == null ? "" : "?artifactType=" + URLEncoder.encode(artifactType, StandardCharsets.UTF_8));
        String what = "referrers of " + subject + " in " + repository.registry() + "/" + repository.repository();
        try (HttpTransfer.Response r = request(repository, path, Map.of("Accept", OCI_INDEX))) {
            if (r.status() == 404) {
                r.discard();
                return Optional.empty();
            }
            requireOk(r, what);
            byte[] bytes = r.readAll(http.settings().maxManifestBytes(), what);
            try {
                return Optional.of(JSON.readTree(bytes));
            } catch (IOException e) {
                throw new SourceException(what + " is not valid JSON: " + e.getMessage(), e);
            }
        }
    }

    static Digest digestOf(String algorithm, byte[] bytes) {
        MessageDigest hasher = Digest.hasher(algorithm);
        return new Digest(algorithm, HexFormat.of().formatHex(hasher.digest(bytes)));
    }

    /** The manifest's media type: its own {@code mediaType} field, else the response's Content-Type. */
    private static String mediaTypeOf(String contentType, byte[] bytes, String what) throws SourceException {
        String declared = null;
        try {
            JsonNode json = JSON.readTree(bytes);
            if (json != null && json.hasNonNull("mediaType")) {
                declared = json.get("mediaType").asText();
            }
        } catch (IOException e) {
            throw new SourceException(what + " is not valid JSON: " + e.getMessage(), e);
        }
        String type = declared != null ? declared : contentType;
        if (type == null || !List.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST).contains(type)) {
            throw new SourceException(what + " has the unsupported media type \"" + type + "\" (expected an OCI or Docker v2 manifest or index)");
        }
        return type;
    }

    /** GETs {@code /v2/<repository><path>} from the reference's registry, authenticating when challenged. */
    private HttpTransfer.Response request(OciReference ref, String path, Map<String, String> headers) throws SourceException {
        String authKey = ref.apiHost() + "/" + ref.apiRepository();
        URI uri = base(ref).resolve("/v2/" + ref.apiRepository() + path);
        HttpTransfer.Response r = http.get(uri, headers, authorizations.get(authKey));
        if (r.status() != 401) {
            return r;
        }
        List<String> challenges = r.headers().allValues("WWW-Authenticate");
        r.discard();
        String authorization = authorize(ref, challenges);
        HttpTransfer.Response again = http.get(uri, headers, authorization);
        if (again.status() == 401 || again.status() == 403) {
            String why = registryErrors(again);
            throw new SourceException(ref.registry() + " refused access to " + ref.repository() + " (HTTP " + again.status() + why + ")"
                    + (credentials.forRegistry(ref.registry()) == null ? "; no credentials are configured for it" : "; check the credentials"));
        }
        authorizations.put(authKey, authorization);
        return again;
    }

    /**
     * The base URL of the reference's registry: plain HTTP for a loopback or insecure-listed
     * registry (as {@code oras --plain-http} and {@code wkg --insecure} reach them), HTTPS for
     * every other.
     */
    private URI base(OciReference ref) {
        return bases.computeIfAbsent(ref.apiHost(), host -> URI.create(
                (http.settings().allowsPlainHttp(hostOf(host), portOf(host)) ? "http://" : "https://") + host + "/"));
    }

    private static String hostOf(String registry) {
        if (registry.startsWith("[")) {
            return registry.substring(0, registry.indexOf(']') + 1);
        }
        int colon = registry.lastIndexOf(':');
        return colon >= 0 ? registry.substring(0, colon) : registry;
    }

    private static int portOf(String registry) {
        int colon = registry.lastIndexOf(':');
        return colon > registry.lastIndexOf(']') ? Integer.parseInt(registry.substring(colon + 1)) : -1;
    }

    /** The Authorization value that answers one of {@code challenges}: a bearer token, or Basic credentials. */
    private String authorize(OciReference ref, List<String> challenges) throws SourceException {
        RegistryCredentials.Basic basic = credentials.forRegistry(ref.registry());
        for (String challenge : challenges) {
            String scheme = challenge.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
            if (scheme.equals("bearer")) {
                return "Bearer " + token(ref, params(challenge), basic);
            }
        }
        for (String challenge : challenges) {
            if (challenge.strip().toLowerCase(Locale.ROOT).startsWith("basic")) {
                if (basic == null) {
                    throw new SourceException(ref.registry() + " requires a user name and password for " + ref.repository()
                            + ": set WASSETTE_REGISTRY_USER and WASSETTE_REGISTRY_PASSWORD, or log in with docker/podman/oras");
                }
                return basic.header();
            }
        }
        throw new SourceException(ref.registry() + " asks for authentication this client does not speak: " + String.join("; ", challenges));
    }

    /** The parameters of one challenge ({@code realm}, {@code service}, {@code scope}). */
    static Map<String, String> params(String challenge) {
        Map<String, String> out = new LinkedHashMap<>();
        String rest = challenge.strip();
        int space = rest.indexOf(' ');
        Matcher m = AUTH_PARAM.matcher(space < 0 ? "" : rest.substring(space + 1));
        while (m.find()) {
            String value = m.group(2) != null ? m.group(2).replaceAll("\\\\(.)", "$1") : m.group(3);
            out.put(m.group(1).toLowerCase(Locale.ROOT), value);
        }
        return out;
    }

    /** A pull token from the registry's token service, anonymous or with {@code basic}. */
    private String token(OciReference ref, Map<String, String> challenge, RegistryCredentials.Basic basic) throws SourceException {
        String realm = challenge.get("realm");
        if (realm == null) {
            throw new SourceException(ref.registry() + " asked for a bearer token without naming its token service (no realm)");
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new SourceException(ref.registry() + " named an invalid token service \"" + realm + "\"");
        }
        boolean tls = "https".equalsIgnoreCase(realmUri.getScheme());
        if (!tls && !("http".equalsIgnoreCase(realmUri.getScheme()) && realmUri.getHost() != null
                && http.settings().allowsPlainHttp(realmUri.getHost(), realmUri.getPort()))) {
            throw new SourceException(ref.registry() + " named the token service " + realm + ", which is not https://");
        }
        String scope = challenge.getOrDefault("scope", "repository:" + ref.apiRepository() + ":pull");
        StringBuilder query = new StringBuilder();
        if (challenge.containsKey("service")) {
            query.append("service=").append(URLEncoder.encode(challenge.get("service"), StandardCharsets.UTF_8)).append('&');
        }
        query.append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        try (HttpTransfer.Response r = http.get(tokenUri, Map.of("Accept", "application/json"), basic == null ? null : basic.header())) {
            if (r.status() == 401 || r.status() == 403) {
                throw new SourceException("the token service of " + ref.registry() + " refused "
                        + (basic == null ? "an anonymous pull of " + ref.repository() + " (credentials needed: WASSETTE_REGISTRY_USER/WASSETTE_REGISTRY_PASSWORD or docker/podman login)"
                        : "the credentials of " + basic.username()) + " (HTTP " + r.status() + ")");
            }
            requireOk(r, "token for " + ref.repository() + " from " + realmUri.getHost());
            JsonNode json;
            try {
                json = JSON.readTree(r.readAll(MAX_TOKEN_BYTES, "token response"));
            } catch (IOException e) {
                throw new SourceException("the token service of " + ref.registry() + " answered no JSON: " + e.getMessage(), e);
            }
            String token = json.path("token").asText(json.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new SourceException("the token service of " + ref.registry() + " answered without a token");
            }
            return token;
        }
    }

    private static void requireOk(HttpTransfer.Response r, String what) throws SourceException {
        if (r.status() / 100 == 2) {
            return;
        }
        String why = registryErrors(r);
        throw new SourceException(what + ": " + r.uri().getHost() + " answered HTTP " + r.status() + why);
    }

    /** The registry's explanation of an error status (its {@code errors} list), as ": code message; …", or "". */
    private static String registryErrors(HttpTransfer.Response r) {
        String body = r.errorText();
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null && json.path("errors").isArray() && !json.path("errors").isEmpty()) {
                StringBuilder out = new StringBuilder(":");
                for (JsonNode e : json.path("errors")) {
                    out.append(' ').append(e.path("code").asText("")).append(' ').append(e.path("message").asText("")).append(';');
                }
                return out.substring(0, out.length() - 1);
            }
        } catch (IOException e) {
            // not the registry's JSON: show the start of the text
        }
        String text = body.strip().replaceAll("\\s+", " ");
        return text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "…" : text);
    }
}

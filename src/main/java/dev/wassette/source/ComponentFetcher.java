package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fetches a component from its {@link ComponentSource}, verified: a file as it is (checked against
 * a pin when given), an HTTPS body within the size cap (and against its pin), an OCI artifact
 * through the distribution API with every blob checked against its descriptor. Pulled blobs enter
 * the {@link BlobCache}; a source pinned by digest whose blobs are cached is served from there
 * without any network access.
 *
 * <p>OCI artifacts accepted: the Wasm OCI artifact layout ({@code wkg oci push}, or {@code oras push}
 * with the same media types) — config {@code application/vnd.wasm.config.v0+json} (also an OCI image
 * config or the empty config oras writes), exactly one component layer ({@code application/wasm} and
 * the other types Wassette reads) — plus at most one policy layer as Wassette writes it
 * ({@code application/vnd.wasm.policy.v1+yaml}, legacy {@code application/vnd.wassette.policy+yaml}).
 * An image index resolves to its {@code wasm}/{@code wasip2} entry. Anything else is refused, naming
 * the media type.
 */
public final class ComponentFetcher {
    public static final String WASM_CONFIG = "application/vnd.wasm.config.v0+json";
    public static final String POLICY_LAYER = "application/vnd.wasm.policy.v1+yaml";
    public static final String LEGACY_POLICY_LAYER = "application/vnd.wassette.policy+yaml";
    static final List<String> WASM_LAYER_TYPES = List.of("application/wasm", "application/vnd.wasm.component.v1",
            "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm", "application/vnd.wasm.content.layer.v1+wasm");
    static final List<String> POLICY_LAYER_TYPES = List.of(POLICY_LAYER, LEGACY_POLICY_LAYER, "application/x-yaml", "text/yaml");
    static final Set<String> CONFIG_TYPES = Set.of(WASM_CONFIG, "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.empty.v1+json", "application/vnd.unknown.config.v1+json");
    private static final Set<String> CONTAINER_CONFIG_TYPES = Set.of("application/vnd.docker.container.image.v1+json");

    private final SourceSettings settings;
    private final BlobCache cache;

    public ComponentFetcher(SourceSettings settings) {
        this.settings = settings;
        this.cache = new BlobCache(settings.cacheDirectory());
    }

    public SourceSettings settings() {
        return settings;
    }

    public BlobCache cache() {
        return cache;
    }

    /**
     * Fetches and verifies the component {@code source} names. {@code credentials} are offered to
     * registries that ask; {@code progress} hears about downloads.
     *
     * @throws SourceException saying which source and why; nothing is cached that was not verified
     */
    public FetchedComponent fetch(ComponentSource source, RegistryCredentials credentials, Progress progress) throws SourceException {
        return switch (source) {
            case ComponentSource.File f -> file(f);
            case ComponentSource.Https h -> https(h, progress);
            case ComponentSource.Oci o -> {
                try (OciPull pull = new OciPull(o, credentials, progress)) {
                    yield pull.run();
                }
            }
        };
    }

    private FetchedComponent file(ComponentSource.File f) throws SourceException {
        Path path = f.path();
        if (!Files.isRegularFile(path)) {
            throw new SourceException("no such file: " + path);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new SourceException("cannot read " + path + ": " + e.getMessage(), e);
        }
        Digest digest = f.pin() != null ? RegistryClient.digestOf(f.pin().algorithm(), bytes) : Digest.sha256(bytes);
        if (f.pin() != null && !f.pin().equals(digest)) {
            throw new SourceException(path + ": digest mismatch: pinned " + f.pin() + ", the file has " + digest);
        }
        Digest sha256 = digest.algorithm().equals("sha256") ? digest : Digest.sha256(bytes);
        return new FetchedComponent(f, path.toUri().toString(), digest, sha256, bytes, null, null, true);
    }

    private FetchedComponent https(ComponentSource.Https h, Progress progress) throws SourceException {
        Digest pin = h.pin();
        String what = h.uri().toString();
        if (pin != null) {
            byte[] cached = cached(pin, settings.maxComponentBytes());
            if (cached != null) {
                return new FetchedComponent(h, h.toString(), pin, sha256(pin, cached), cached, null, null, true);
            }
        }
        try (HttpTransfer http = new HttpTransfer(settings); HttpTransfer.Response r = http.get(h.uri(), Map.of("Accept", "application/wasm, */*;q=0.5"), null)) {
            if (r.status() != 200) {
                String text = r.errorText().strip().replaceAll("\\s+", " ");
                throw new SourceException(what + ": " + r.uri().getHost() + " answered HTTP " + r.status()
                        + (text.isEmpty() ? "" : " (" + (text.length() > 200 ? text.substring(0, 200) + "…" : text) + ")"));
            }
            try (BlobCache.Write w = cache.begin(pin, -1, what, progress)) {
                r.read(settings.maxComponentBytes(), what, w::accept);
                Path stored = w.commit();
                Digest digest = w.digest(stored);
                byte[] bytes = Files.readAllBytes(stored);
                String resolved = h.uri() + "#" + digest.algorithm() + "=" + digest.hex();
                return new FetchedComponent(h, resolved, digest, sha256(digest, bytes), bytes, null, null, false);
            } catch (IOException e) {
                throw new SourceException(what + ": cannot use the blob cache " + cache.directory() + ": " + e.getMessage(), e);
            }
        }
    }

    private static Digest sha256(Digest known, byte[] bytes) {
        return known.algorithm().equals("sha256") ? known : Digest.sha256(bytes);
    }

    /** The cached blob's verified bytes, or null. */
    private byte[] cached(Digest digest, long cap) throws SourceException {
        try {
            return cache.read(digest, cap);
        } catch (IOException e) {
            throw new SourceException("cannot read the blob cache " + cache.directory() + ": " + e.getMessage(), e);
        }
    }

    /** One OCI pull: the registry client is made only when something is not in the cache. */
    private final class OciPull implements AutoCloseable {
        private final ComponentSource.Oci source;
        private final OciReference ref;
        private final RegistryCredentials credentials;
        private final Progress progress;
        private RegistryClient client;
        private boolean offline = true;

        OciPull(ComponentSource.Oci source, RegistryCredentials credentials, Progress progress) {
            this.source = source;
            this.ref = source.reference();
            this.credentials = credentials;
            this.progress = progress;
        }

        private RegistryClient client() throws SourceException {
            if (client == null) {
                client = new RegistryClient(settings, credentials);
            }
            offline = false;
            return client;
        }

        @Override
        public void close() {
            if (client != null) {
                client.close();
            }
        }

        FetchedComponent run() throws SourceException {
            List<RegistryClient.Manifest> manifests = new ArrayList<>();
            // Pinned: asked for by digest (a tag beside it is only a name), so a cached pull needs no network.
            RegistryClient.Manifest top = source.pin() != null ? pinned() : client().manifest(ref);
            manifests.add(top);
            RegistryClient.Manifest manifest = top;
            if (isIndex(top.mediaType())) {
                OciDescriptor entry = wasmEntry(top);
                if (isIndex(entry.mediaType())) {
                    throw new SourceException(ref + ": the index entry for wasm/wasip2 is itself an index; nested indexes are not supported");
                }
                manifest = manifest(ref.at(entry.digest()), entry.size());
                manifests.add(manifest);
            }
            Layers layers = layers(manifest);
            String where = ref.registry() + "/" + ref.repository();
            byte[] component = blob(layers.component(), settings.maxComponentBytes(), "component " + abbreviated(layers.component().digest()) + " of " + where);
            String policy = null;
            if (layers.policy() != null) {
                byte[] yaml = blob(layers.policy(), SourceSettings.MAX_POLICY_BYTES, "policy layer " + abbreviated(layers.policy().digest()) + " of " + where);
                policy = utf8(yaml, ref + ": the policy layer");
            }
            // Only now, with every layer verified, are the manifests kept: a refused pull leaves no trace but verified layers.
            for (RegistryClient.Manifest m : manifests) {
                try {
                    if (!cache.contains(m.digest())) {
                        cache.put(m.digest(), m.bytes());
                    }
                } catch (IOException e) {
                    throw new SourceException("cannot store manifest " + m.digest() + " in the blob cache: " + e.getMessage(), e);
                }
            }
            return new FetchedComponent(source, ref.at(top.digest()).toString(), top.digest(), sha256(layers.component().digest(), component),
                    component, policy, layers.policy() == null ? null : layers.policy().mediaType(), offline);
        }

        /** The manifest with the pinned digest; when the reference also has a tag, the error says the tag is not what was fetched. */
        private RegistryClient.Manifest pinned() throws SourceException {
            OciReference at = ref.at(source.pin());
            byte[] bytes = cached(at.digest(), settings.maxManifestBytes());
            if (bytes != null) {
                return new RegistryClient.Manifest(at.digest(), cachedMediaType(bytes), bytes);
            }
            return client().manifestIfPresent(at).orElseThrow(() -> new SourceException(ref.tag() == null || ref.digest() != null
                    ? at + ": not found in the registry (no manifest " + at.digest() + " in " + ref.repository() + ")"
                    : ref + " pinned to " + source.pin() + ": the registry has no manifest with that digest in " + ref.repository()
                            + " (a pinned pull asks for the digest, whatever the tag points to now)"));
        }

        /** The manifest {@code at} names by digest, from the cache or the registry; {@code size} (or -1) from its descriptor. */
        private RegistryClient.Manifest manifest(OciReference at, long size) throws SourceException {
            if (size > settings.maxManifestBytes()) {
                throw new SourceException(at + ": manifest of " + size + " bytes, over the limit of " + settings.maxManifestBytes() + " bytes");
            }
            byte[] bytes = cached(at.digest(), settings.maxManifestBytes());
            RegistryClient.Manifest m = bytes != null ? new RegistryClient.Manifest(at.digest(), cachedMediaType(bytes), bytes) : client().manifest(at);
            if (size >= 0 && m.bytes().length != size) {
                throw new SourceException(at + ": the manifest has " + m.bytes().length + " bytes, its descriptor declares " + size);
            }
            return m;
        }

        private String cachedMediaType(byte[] bytes) throws SourceException {
            JsonNode json = new RegistryClient.Manifest(null, null, bytes).json();
            if (json.hasNonNull("mediaType")) {
                return json.get("mediaType").asText();
            }
            return json.has("manifests") ? RegistryClient.OCI_INDEX : RegistryClient.OCI_MANIFEST;
        }

        /** The index's entry for wasm/wasip2. */
        private OciDescriptor wasmEntry(RegistryClient.Manifest index) throws SourceException {
            JsonNode entries = index.json().path("manifests");
            List<String> seen = new ArrayList<>();
            int i = 0;
            for (JsonNode e : entries) {
                OciDescriptor d = OciDescriptor.parse(e, ref + ": index entry " + i++);
                if ("wasm".equals(d.architecture()) && "wasip2".equals(d.os())) {
                    return d;
                }
                seen.add(d.os() == null && d.architecture() == null ? "(no platform) " + d.mediaType() : d.os() + "/" + d.architecture());
            }
            throw new SourceException(ref + " is an image index with no wasm/wasip2 entry (it has: "
                    + (seen.isEmpty() ? "no entries" : String.join(", ", seen)) + ")");
        }

        private record Layers(OciDescriptor component, OciDescriptor policy) {}

        /** The component layer and the policy layer (or null) of a Wasm artifact manifest; refuses anything else. */
        private Layers layers(RegistryClient.Manifest manifest) throws SourceException {
            String name = ref + (manifest.digest().equals(source.pin()) || ref.digest() != null ? "" : " (" + manifest.digest() + ")");
            JsonNode json = manifest.json();
            OciDescriptor config = OciDescriptor.parse(json.get("config"), name + ": config");
            if (CONTAINER_CONFIG_TYPES.contains(config.mediaType())) {
                throw new SourceException(name + " is a container image (config " + config.mediaType() + "), not a Wasm component artifact");
            }
            if (!CONFIG_TYPES.contains(config.mediaType())) {
                throw new SourceException(name + ": unsupported config media type \"" + config.mediaType() + "\" (a Wasm component artifact has "
                        + WASM_CONFIG + ")");
            }
            JsonNode list = json.path("layers");
            OciDescriptor component = null;
            OciDescriptor policy = null;
            for (int i = 0; i < list.size(); i++) {
                OciDescriptor layer = OciDescriptor.parse(list.get(i), name + ": layer " + i);
                if (WASM_LAYER_TYPES.contains(layer.mediaType())) {
                    if (component != null) {
                        throw new SourceException(name + " has more than one component layer; which one to load is ambiguous");
                    }
                    component = layer;
                } else if (POLICY_LAYER_TYPES.contains(layer.mediaType())) {
                    if (policy != null) {
                        throw new SourceException(name + " has more than one policy layer");
                    }
                    policy = layer;
                } else {
                    throw new SourceException(name + ": layer " + i + " has the unsupported media type \"" + layer.mediaType()
                            + "\" (a Wasm component artifact has one " + WASM_LAYER_TYPES.getFirst() + " layer and at most one "
                            + POLICY_LAYER + " layer)");
                }
            }
            if (component == null) {
                throw new SourceException(name + " has no component layer (" + String.join(", ", WASM_LAYER_TYPES) + ")");
            }
            return new Layers(component, policy);
        }

        /** A layer's bytes: from the cache, else pulled into it, checked against the descriptor. */
        private byte[] blob(OciDescriptor layer, long cap, String what) throws SourceException {
            if (layer.size() > cap) {
                throw new SourceException(what + " is " + layer.size() + " bytes, over the limit of " + cap + " bytes");
            }
            byte[] bytes = cached(layer.digest(), cap);
            if (bytes != null) {
                if (bytes.length != layer.size()) {
                    throw new SourceException(what + ": its descriptor declares " + layer.size() + " bytes, the blob with its digest has " + bytes.length);
                }
                return bytes;
            }
            RegistryClient registry = client();
            try (BlobCache.Write w = cache.begin(layer.digest(), layer.size(), what, progress)) {
                registry.blob(ref, layer.digest(), layer.size(), cap, w, what);
                return Files.readAllBytes(w.commit());
            } catch (IOException e) {
                throw new SourceException(what + ": cannot use the blob cache " + cache.directory() + ": " + e.getMessage(), e);
            }
        }
    }

    private static boolean isIndex(String mediaType) {
        return RegistryClient.OCI_INDEX.equals(mediaType) || RegistryClient.DOCKER_MANIFEST_LIST.equals(mediaType);
    }

    private static String abbreviated(Digest d) {
        return d.algorithm() + ":" + d.hex().substring(0, 12);
    }

    private static String utf8(byte[] bytes, String what) throws SourceException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SourceException(what + " is not UTF-8 text");
        }
    }
}

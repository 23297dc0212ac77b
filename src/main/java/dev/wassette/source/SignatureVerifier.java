package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the cosign signatures of an OCI artifact and checks them against a trust policy's keys,
 * offline: no transparency log, no certificate authority — a signature counts when a trusted key
 * verifies it and what it signs names exactly the manifest digest that was pulled. Both forms cosign
 * writes are looked up:
 *
 * <ul>
 *   <li>the legacy simple-signing form (cosign v2): a manifest under the tag
 *       {@code sha256-<hex>.sig} whose layers are payloads
 *       ({@code application/vnd.dev.cosign.simplesigning.v1+json}) with the signature in the annotation
 *       {@code dev.cosignproject.cosign/signature}; the payload's
 *       {@code critical.image.docker-manifest-digest} must be the digest;</li>
 *   <li>Sigstore bundles (cosign v3): artifacts whose {@code subject} is the manifest, found through
 *       the OCI referrers API, or — where the registry lacks it — through the referrers tag
 *       {@code sha256-<hex>} (an image index), see {@link SigstoreBundle}.</li>
 * </ul>
 *
 * What verified is kept as evidence in the blob cache ({@code signatures/<algorithm>/<hex>.json}
 * beside the blobs it names), so a pinned artifact pulled from the cache is verified again from the
 * cache, offline, against the keys in force then.
 */
public final class SignatureVerifier {
    public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
    public static final String SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
    /** A signature payload, bundle or the manifest holding them is a small document. */
    static final long MAX_SIGNATURE_BYTES = 1L << 20;
    /** More signatures than this on one artifact are not looked at (each costs requests). */
    static final int MAX_SIGNATURES = 32;
    /**
     * Artifact types a referrers index may give a bundle: registries that take the type from the
     * config (go-containerregistry's) give cosign's bundles the empty config's.
     */
    private static final java.util.Set<String> GENERIC_CONFIG_TYPES = java.util.Set.of("application/vnd.oci.empty.v1+json",
            "application/vnd.oci.image.config.v1+json");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final System.Logger LOG = System.getLogger("dev.wassette.source");

    /** Where a signature was found. */
    public enum Form {
        /** cosign's legacy simple-signing payload under the tag {@code sha256-<hex>.sig}. */
        COSIGN_TAG("cosign signature"),
        /** A Sigstore bundle the OCI referrers API lists. */
        BUNDLE_REFERRERS("Sigstore bundle (OCI referrers API)"),
        /** A Sigstore bundle the referrers tag {@code sha256-<hex>} lists (a registry without the referrers API). */
        BUNDLE_TAG("Sigstore bundle (referrers tag)");

        private final String label;

        Form(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One signature found: where it is, which trusted key signed it (null: none did, or what it
     * signs is not the digest — {@code problem} says which), and what it is.
     *
     * @param manifest the digest of the manifest that holds it (the {@code .sig} manifest, the bundle's)
     * @param blob     the digest of its payload or bundle
     */
    public record Found(Form form, String where, Digest manifest, Digest blob, TrustedKey signer, String content, String problem) {
        public boolean verified() {
            return signer != null;
        }

        /** {@code cosign signature (tag sha256-….sig, layer 0): signed by acme} or {@code …: not signed by …}. */
        public String describe() {
            return form.label() + " (" + where + (content == null ? "" : ", " + content) + "): "
                    + (verified() ? "signed by " + signer.name() + " (" + signer.fingerprint() + ")" : problem);
        }
    }

    /**
     * The verification of one artifact.
     *
     * @param reference     what was asked for
     * @param digest        the manifest digest pulled, which the signatures must name
     * @param rule          the trust policy's rule for the reference, or null: none applies
     * @param signatures    the signatures found and checked (none looked for without a rule with keys)
     * @param lookupProblem why the registry could not be asked for signatures, or null
     * @param fromCache     the signatures came from the cached evidence, without the network
     */
    public record Result(OciReference reference, Digest digest, TrustPolicy.Rule rule, List<Found> signatures, String lookupProblem,
                         boolean fromCache) {
        public Result {
            signatures = List.copyOf(signatures);
        }

        /** The first signature by a trusted key that names the digest, or null. */
        public Found verified() {
            return signatures.stream().filter(Found::verified).findFirst().orElse(null);
        }

        public boolean required() {
            return rule != null && rule.requireSignature();
        }

        /** Whether the artifact may be used: it verified, or the trust policy does not require it. */
        public boolean accepted() {
            return !required() || verified() != null;
        }

        /** Whether the artifact's declaration becomes its policy: it verified, and the rule says so. */
        public boolean appliesDeclaration() {
            return verified() != null && rule.applyDeclaredPermissions();
        }

        /** Why nothing verified, or what verified, in a sentence. */
        public String reason() {
            Found v = verified();
            String rulePart = rule == null ? "" : "; trust policy rule " + rule.describe();
            if (v != null) {
                return "signature verified offline: " + v.describe() + ", naming " + digest + rulePart;
            }
            if (rule == null) {
                return "no trust policy rule for " + reference.registry() + "/" + reference.repository() + ": no signature checked";
            }
            if (rule.keys().isEmpty()) {
                return "no signature checked" + rulePart;
            }
            return "no valid signature: " + whyNot() + rulePart;
        }

        /** What was found and why none of it verified. */
        public String whyNot() {
            List<String> parts = new ArrayList<>();
            if (signatures.isEmpty() && lookupProblem == null) {
                parts.add("it has no signature (no tag " + digest.algorithm() + "-" + digest.hex() + ".sig, no Sigstore bundle among its referrers)");
            } else {
                signatures.forEach(s -> parts.add(s.describe()));
            }
            if (lookupProblem != null) {
                parts.add("the signatures could not be looked up: " + lookupProblem);
            }
            return String.join("; ", parts);
        }

        /**
         * Throws when the artifact may not be used: the message names the reference, the digest
         * and why.
         */
        public void requireAccepted() throws SourceException {
            if (!accepted()) {
                throw new SourceException(reference + " (" + digest + ") is refused: the trust policy requires a signature by "
                        + rule.keyNames() + " for " + (rule.prefix().equals("*") ? "every registry" : rule.prefix()) + ", and " + whyNot()
                        + "; nothing was stored");
            }
        }
    }

    private final SourceSettings settings;
    private final BlobCache cache;

    public SignatureVerifier(SourceSettings settings, BlobCache cache) {
        this.settings = settings;
        this.cache = cache;
    }

    /**
     * Verifies the artifact {@code reference} names, pulled as the manifest {@code manifestBytes}
     * with {@code digest}, under {@code policy}. Without a rule that has keys nothing is looked up.
     *
     * @param preferCache first try the evidence of an earlier verification (a pull served from the cache)
     */
    public Result verify(OciReference reference, Digest digest, byte[] manifestBytes, TrustPolicy policy, RegistryCredentials credentials,
                         boolean preferCache) {
        TrustPolicy.Rule rule = policy.ruleFor(reference);
        if (rule == null || rule.keys().isEmpty()) {
            return new Result(reference, digest, rule, List.of(), null, false);
        }
        List<Found> cached = List.of();
        if (preferCache) {
            cached = fromEvidence(reference, digest, manifestBytes, rule);
            if (cached.stream().anyMatch(Found::verified)) {
                return new Result(reference, digest, rule, cached, null, true);
            }
        }
        List<Found> found = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (RegistryClient client = new RegistryClient(settings, credentials)) {
            Online online = new Online(client, reference);
            // Each form on its own: a registry that fails one lookup (a referrers API answering 500) may still hold the other.
            try {
                found.addAll(legacy(online, reference, digest, rule));
            } catch (SourceException e) {
                problems.add(e.getMessage());
            }
            try {
                found.addAll(bundles(online, reference, digest, manifestBytes, rule));
            } catch (SourceException e) {
                problems.add(e.getMessage());
            }
            keepEvidence(digest, found, online.fetched);
        } catch (SourceException e) {
            problems.add(e.getMessage());
        }
        if (found.isEmpty() && !problems.isEmpty()) {
            found.addAll(cached); // what the cache had, checked against today's keys
        }
        String problem = problems.isEmpty() ? null : String.join("; ", problems);
        Result r = new Result(reference, digest, rule, found, problem, false);
        if (r.verified() == null && problem != null) {
            LOG.log(System.Logger.Level.WARNING, "signatures of {0} ({1}) could not be looked up: {2}", reference, digest, problem);
        }
        return r;
    }

    /** Where signature manifests and blobs come from: the registry, or the cache alone. */
    private interface Fetch {
        Optional<RegistryClient.Manifest> manifest(OciReference at) throws SourceException;

        Optional<JsonNode> referrers(Digest subject) throws SourceException;

        byte[] blob(OciDescriptor d) throws SourceException;
    }

    /** The registry; what it served is remembered, to be cached when it verified. */
    private final class Online implements Fetch {
        final Map<Digest, byte[]> fetched = new LinkedHashMap<>();
        private final RegistryClient client;
        private final OciReference repository;

        Online(RegistryClient client, OciReference repository) {
            this.client = client;
            this.repository = repository;
        }

        @Override
        public Optional<RegistryClient.Manifest> manifest(OciReference at) throws SourceException {
            Optional<RegistryClient.Manifest> m = client.manifestIfPresent(at);
            m.ifPresent(x -> fetched.put(x.digest(), x.bytes()));
            return m;
        }

        @Override
        public Optional<JsonNode> referrers(Digest subject) throws SourceException {
            return client.referrers(repository, subject, null);
        }

        @Override
        public byte[] blob(OciDescriptor d) throws SourceException {
            byte[] bytes = cached(d.digest());
            if (bytes == null) {
                bytes = client.blobBytes(repository, d.digest(), d.size(), MAX_SIGNATURE_BYTES);
            }
            fetched.put(d.digest(), bytes);
            return bytes;
        }
    }

    /** The blob cache alone. */
    private final class Cached implements Fetch {
        @Override
        public Optional<RegistryClient.Manifest> manifest(OciReference at) throws SourceException {
            byte[] bytes = at.digest() == null ? null : cached(at.digest());
            return bytes == null ? Optional.empty() : Optional.of(new RegistryClient.Manifest(at.digest(), RegistryClient.OCI_MANIFEST, bytes));
        }

        @Override
        public Optional<JsonNode> referrers(Digest subject) {
            return Optional.empty();
        }

        @Override
        public byte[] blob(OciDescriptor d) throws SourceException {
            byte[] bytes = cached(d.digest());
            if (bytes == null) {
                throw new SourceException("blob " + d.digest() + " is not in the cache");
            }
            return bytes;
        }
    }

    private byte[] cached(Digest digest) throws SourceException {
        try {
            return cache.read(digest, Math.max(MAX_SIGNATURE_BYTES, settings.maxManifestBytes()));
        } catch (IOException e) {
            throw new SourceException("cannot read the blob cache " + cache.directory() + ": " + e.getMessage(), e);
        }
    }

    /** The tag of the legacy signature of {@code digest}: {@code sha256-<hex>.sig}. */
    public static String signatureTag(Digest digest) {
        return digest.algorithm() + "-" + digest.hex() + ".sig";
    }

    /** The referrers tag schema's tag for {@code digest}: {@code sha256-<hex>}. */
    public static String referrersTag(Digest digest) {
        return digest.algorithm() + "-" + digest.hex();
    }

    private List<Found> legacy(Fetch fetch, OciReference reference, Digest digest, TrustPolicy.Rule rule) throws SourceException {
        String tag = signatureTag(digest);
        Optional<RegistryClient.Manifest> m = fetch.manifest(new OciReference(reference.registry(), reference.repository(), tag, null));
        return m.isEmpty() ? List.of() : legacyLayers(fetch, m.get(), digest, rule, null);
    }

    /** The signatures in the layers of a {@code .sig} manifest ({@code onlyBlob}: that payload's layers alone). */
    private List<Found> legacyLayers(Fetch fetch, RegistryClient.Manifest m, Digest digest, TrustPolicy.Rule rule, Digest onlyBlob)
            throws SourceException {
        List<Found> out = new ArrayList<>();
        JsonNode layers = m.json().path("layers");
        for (int i = 0; i < layers.size() && out.size() < MAX_SIGNATURES; i++) {
            String at = "tag " + signatureTag(digest) + ", layer " + i;
            OciDescriptor layer = OciDescriptor.parse(layers.get(i), at);
            String signature = layer.annotations().get(SIGNATURE_ANNOTATION);
            if (signature == null || onlyBlob != null && !onlyBlob.equals(layer.digest())) {
                continue; // not a signature layer, or not the one asked for
            }
            if (layer.size() > MAX_SIGNATURE_BYTES) {
                out.add(new Found(Form.COSIGN_TAG, at, m.digest(), layer.digest(), null, null,
                        "a payload of " + layer.size() + " bytes, over the limit of " + MAX_SIGNATURE_BYTES));
                continue;
            }
            byte[] payload = fetch.blob(layer);
            out.add(simpleSigning(at, m.digest(), layer.digest(), payload, signature, digest, rule.keys()));
        }
        return out;
    }

    private static Found simpleSigning(String where, Digest manifest, Digest blob, byte[] payload, String signature, Digest digest,
                                       List<TrustedKey> keys) {
        String content = "simple-signing payload";
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(signature.strip());
        } catch (IllegalArgumentException e) {
            return new Found(Form.COSIGN_TAG, where, manifest, blob, null, content, "its signature annotation is not base64");
        }
        TrustedKey signer = SigstoreBundle.signerOf(payload, List.of(sig), keys);
        if (signer == null) {
            return new Found(Form.COSIGN_TAG, where, manifest, blob, null, content, SigstoreBundle.notSigned(keys));
        }
        JsonNode json;
        try {
            json = JSON.readTree(payload);
        } catch (IOException e) {
            return new Found(Form.COSIGN_TAG, where, manifest, blob, null, content, "signed by " + signer.name() + ", but its payload is not JSON");
        }
        String named = json == null ? "" : json.path("critical").path("image").path("docker-manifest-digest").asText("");
        if (!named.equals(digest.toString())) {
            return new Found(Form.COSIGN_TAG, where, manifest, blob, null, content, "signed by " + signer.name() + ", but its payload names "
                    + (named.isEmpty() ? "no manifest digest" : named) + ", not the digest pulled");
        }
        return new Found(Form.COSIGN_TAG, where, manifest, blob, signer, content, null);
    }

    private List<Found> bundles(Fetch fetch, OciReference reference, Digest digest, byte[] manifestBytes, TrustPolicy.Rule rule)
            throws SourceException {
        Form form = Form.BUNDLE_REFERRERS;
        Optional<JsonNode> index = fetch.referrers(digest);
        if (index.isEmpty()) {
            form = Form.BUNDLE_TAG;
            Optional<RegistryClient.Manifest> tagged = fetch.manifest(new OciReference(reference.registry(), reference.repository(),
                    referrersTag(digest), null));
            if (tagged.isEmpty()) {
                return List.of();
            }
            index = Optional.of(tagged.get().json());
        }
        List<Found> out = new ArrayList<>();
        int i = 0;
        for (JsonNode entry : index.get().path("manifests")) {
            String where = (form == Form.BUNDLE_TAG ? "tag " + referrersTag(digest) + ", " : "") + "entry " + i++;
            OciDescriptor d = OciDescriptor.parse(entry, where);
            if (d.artifactType() != null && !SigstoreBundle.isBundleType(d.artifactType()) && !GENERIC_CONFIG_TYPES.contains(d.artifactType())) {
                continue; // another kind of referrer (an SBOM, an attestation of another tool)
            }
            if (out.size() >= MAX_SIGNATURES) {
                break;
            }
            Found f = bundle(fetch, reference, d, (form == Form.BUNDLE_TAG ? "tag " + referrersTag(digest) + ", " : "") + "referrer " + d.digest(),
                    digest, manifestBytes, rule, form);
            if (f != null) {
                out.add(f);
            }
        }
        return out;
    }

    /** The bundle {@code d} lists, checked; null when it turns out to be no bundle at all. */
    private Found bundle(Fetch fetch, OciReference reference, OciDescriptor d, String where, Digest digest, byte[] manifestBytes,
                         TrustPolicy.Rule rule, Form form) throws SourceException {
        if (d.size() > MAX_SIGNATURE_BYTES) {
            return new Found(form, where, d.digest(), null, null, null, "a manifest of " + d.size() + " bytes, over the limit of " + MAX_SIGNATURE_BYTES);
        }
        Optional<RegistryClient.Manifest> m = fetch.manifest(reference.at(d.digest()));
        if (m.isEmpty()) {
            return new Found(form, where, d.digest(), null, null, null, "listed, but the registry has no such manifest");
        }
        JsonNode json = m.get().json();
        boolean bundleArtifact = SigstoreBundle.isBundleType(json.path("artifactType").asText(null))
                || SigstoreBundle.isBundleType(json.path("config").path("artifactType").asText(null));
        boolean bundleLayer = false;
        for (JsonNode l : json.path("layers")) {
            bundleLayer |= SigstoreBundle.isBundleType(l.path("mediaType").asText(null));
        }
        if (!bundleArtifact && !bundleLayer) {
            return null; // a referrer the index did not type (or typed by its config), which is not a bundle
        }
        String subject = json.path("subject").path("digest").asText("");
        if (!subject.equals(digest.toString())) {
            return new Found(form, where, d.digest(), null, null, null, "its subject is " + (subject.isEmpty() ? "missing" : subject)
                    + ", not the digest pulled");
        }
        OciDescriptor layer = null;
        JsonNode layers = json.path("layers");
        for (int i = 0; i < layers.size(); i++) {
            OciDescriptor l = OciDescriptor.parse(layers.get(i), where + ", layer " + i);
            if (SigstoreBundle.isBundleType(l.mediaType())) {
                layer = l;
                break;
            }
        }
        if (layer == null) {
            return new Found(form, where, d.digest(), null, null, null, "no Sigstore bundle layer");
        }
        if (layer.size() > MAX_SIGNATURE_BYTES) {
            return new Found(form, where, d.digest(), layer.digest(), null, null, "a bundle of " + layer.size() + " bytes, over the limit");
        }
        byte[] bundle = fetch.blob(layer);
        SigstoreBundle.Checked c = SigstoreBundle.check(bundle, digest, manifestBytes, rule.keys());
        return new Found(form, where, d.digest(), layer.digest(), c.signer(), c.content(), c.problem());
    }

    // --- evidence: what verified, kept to verify again offline -------------------------------------

    private Path evidenceFile(Digest subject) {
        return cache.directory().resolve("signatures").resolve(subject.algorithm()).resolve(subject.hex() + ".json");
    }

    /** Caches the manifests and blobs of the signatures that verified, and lists them as evidence. */
    private void keepEvidence(Digest subject, List<Found> found, Map<Digest, byte[]> fetched) {
        List<Found> verified = found.stream().filter(Found::verified).toList();
        if (verified.isEmpty()) {
            return;
        }
        try {
            ObjectNode root = JSON.createObjectNode();
            root.put("subject", subject.toString());
            ArrayNode list = root.putArray("signatures");
            for (Found f : verified) {
                for (Digest d : new Digest[] {f.manifest(), f.blob()}) {
                    byte[] bytes = fetched.get(d);
                    if (bytes != null && !cache.contains(d)) {
                        cache.put(d, bytes);
                    }
                }
                ObjectNode e = list.addObject();
                e.put("form", f.form().name());
                e.put("where", f.where());
                e.put("manifest", f.manifest().toString());
                e.put("blob", f.blob().toString());
            }
            Path file = evidenceFile(subject);
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".partial-", "");
            try {
                Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp); // left only when the move failed
            }
        } catch (IOException | SourceException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot keep the signature evidence of {0} in {1}: {2}", subject, cache.directory(), e.getMessage());
        }
    }

    /** The signatures the evidence of an earlier verification names, checked again from the cache. */
    private List<Found> fromEvidence(OciReference reference, Digest subject, byte[] manifestBytes, TrustPolicy.Rule rule) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(evidenceFile(subject), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "signature evidence of {0} unreadable: {1}", subject, e.getMessage());
            return List.of();
        }
        List<Found> out = new ArrayList<>();
        Cached fetch = new Cached();
        for (JsonNode e : root.path("signatures")) {
            try {
                Form form = Form.valueOf(e.path("form").asText());
                Digest manifest = Digest.parse(e.path("manifest").asText());
                String where = e.path("where").asText();
                Optional<RegistryClient.Manifest> m = fetch.manifest(reference.at(manifest));
                if (m.isEmpty()) {
                    continue;
                }
                if (form == Form.COSIGN_TAG) {
                    out.addAll(legacyLayers(fetch, m.get(), subject, rule, Digest.parse(e.path("blob").asText())));
                } else {
                    OciDescriptor d = new OciDescriptor(RegistryClient.OCI_MANIFEST, manifest, m.get().bytes().length,
                            SigstoreBundle.MEDIA_TYPE_PREFIX, null, null, Map.of());
                    Found f = bundle(fetch, reference, d, where, subject, manifestBytes, rule, form);
                    if (f != null) {
                        out.add(f);
                    }
                }
            } catch (SourceException | IllegalArgumentException ex) {
                LOG.log(System.Logger.Level.DEBUG, "signature evidence of {0}: {1}", subject, ex.getMessage());
            }
        }
        return out;
    }
}

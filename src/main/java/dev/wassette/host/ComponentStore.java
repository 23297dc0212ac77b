package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import dev.wassette.policy.PolicyWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The component store directory: each component's bytes ({@code <id>.wasm}) with its policy beside
 * it ({@code <id>.policy.yaml}), the policy that arrived with the component, if any — its
 * declaration ({@code <id>.declared-policy.yaml}, written by the loader, shown to the user and
 * never in force unless applied, see {@link #applyDeclaredPolicy}) — and caches derived from the
 * bytes: precompiled code
 * ({@code <id>.cwasm}, {@code <id>.cwasm.key}) and the exported functions ({@code <id>.tools.json},
 * see {@link ComponentMetadata}), and where it came from ({@code <id>.origin.json}, see
 * {@link ComponentOrigin}). Policy changes are serialized per component, across processes too
 * (a lock file, so the CLI can edit grants while a server runs), and written atomically; the next
 * call reads the new policy without a restart.
 *
 * <p>Policies are held in memory and parsed again only when their file changed: a call costs one
 * {@code stat} of the policy file (its size, time and inode), which keeps "the next call sees the
 * change" exact for edits by other processes — the CLI beside a running server, or by hand.
 */
public final class ComponentStore {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** A policy as read from a file with this stamp (null: there was no file). */
    private record Cached(ComponentMetadata.FileStamp stamp, Policy policy) {}

    private final Path directory;
    private final ConcurrentHashMap<String, Object> locks = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    public ComponentStore(Path directory) {
        this.directory = directory.toAbsolutePath();
    }

    public Path directory() {
        return directory;
    }

    /** A component id: letters, digits, '.', '_', '-' (from a file name: its stem, cleaned). */
    public static String idFor(String fileName) {
        String stem = fileName.replaceFirst("\\.(wasm|wat)$", "").replaceAll("[^A-Za-z0-9._-]", "_");
        stem = stem.replaceFirst("^[^A-Za-z0-9]+", "");
        return stem.isEmpty() ? "component" : stem.length() > 128 ? stem.substring(0, 128) : stem;
    }

    public static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid component id \"" + id + "\" (letters, digits, '.', '_', '-')");
        }
    }

    public Path componentFile(String id) {
        checkId(id);
        return directory.resolve(id + ".wasm");
    }

    public Path policyFile(String id) {
        checkId(id);
        return directory.resolve(id + ".policy.yaml");
    }

    /**
     * The policy that arrived with the component (its declaration), exactly as it came. It is
     * never read as the component's policy: {@link #policy} reads {@link #policyFile} only.
     */
    public Path declaredPolicyFile(String id) {
        checkId(id);
        return directory.resolve(id + ".declared-policy.yaml");
    }

    /** The component's exported functions, for listing its tools without loading it. */
    public Path metadataFile(String id) {
        checkId(id);
        return directory.resolve(id + ".tools.json");
    }

    /** Where the component came from (see {@link ComponentOrigin}). */
    public Path originFile(String id) {
        checkId(id);
        return directory.resolve(id + ".origin.json");
    }

    /** Where the stored component came from, or null when that was not recorded. */
    public ComponentOrigin origin(String id) throws IOException {
        return ComponentOrigin.read(originFile(id));
    }

    /**
     * The component's precompiled code, when it was made from the bytes with {@code sha256} by this
     * Wasmtime build (its key file says so); else null. Load it mapped
     * ({@link dev.wassette.runtime.Engine#deserializeFile}): it is replaced by renaming, never in place.
     */
    public Path precompiled(String id, String sha256) throws IOException {
        Path code = directory.resolve(checked(id) + ".cwasm");
        Path key = directory.resolve(id + ".cwasm.key");
        if (!Files.isRegularFile(code) || !Files.isRegularFile(key)) {
            return null;
        }
        return Files.readString(key).strip().equals(precompiledKey(sha256)) ? code : null;
    }

    /** Keeps precompiled code of the component's bytes with {@code sha256}, for {@link #precompiled}; returns its file. */
    public Path savePrecompiled(String id, String sha256, dev.wassette.runtime.Component code) throws IOException {
        Path file = directory.resolve(checked(id) + ".cwasm");
        // written from native memory: a JavaScript component's code is tens of MB the heap need not hold
        code.withSerialized(serialized -> AtomicFiles.write(file, serialized, null));
        try {
            // Written and synced, so the cache may let it go: mapped later from a cache holding it
            // whole, a JavaScript component's code made ~21 MiB resident per process instead of the
            // ~10 MiB it touches (see PageCache).
            dev.wassette.runtime.unix.PageCache.drop(file);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "page cache of {0} kept: {1}", file, e.getMessage());
        }
        AtomicFiles.write(directory.resolve(id + ".cwasm.key"), precompiledKey(sha256).getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        return file;
    }

    /** Code is valid for exactly the bytes it was compiled from, and the Wasmtime build that compiled it. */
    private static String precompiledKey(String sha256) {
        return sha256 + " " + dev.wassette.runtime.NativeLibrary.version();
    }

    private static String checked(String id) {
        checkId(id);
        return id;
    }

    public boolean contains(String id) {
        return Files.isRegularFile(componentFile(id));
    }

    /** Ids of the stored components, sorted. */
    public List<String> ids() throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".wasm"))
                    .map(n -> n.substring(0, n.length() - 5)).filter(n -> ID.matcher(n).matches()).sorted().toList();
        }
    }

    /**
     * Stores (or replaces) a component; a new component starts with no permissions, a replaced one
     * keeps its policy. A declaration of the bytes replaced is removed: it described other code (the
     * loader saves the new bytes' declaration, if any, after this). Returns the stamp of the file
     * written (another process may replace it right after).
     */
    public ComponentMetadata.FileStamp put(String id, byte[] bytes) throws IOException {
        return put(id, bytes, null);
    }

    /**
     * {@link #put(String, byte[])}, recording where the bytes came from ({@code origin}; null: not
     * known, and a previous record is removed). The origin is written before the component, so
     * whoever sees the new component sees its origin.
     */
    public ComponentMetadata.FileStamp put(String id, byte[] bytes, ComponentOrigin origin) throws IOException {
        synchronized (lock(id)) {
            if (origin != null) {
                origin.write(originFile(id));
            } else {
                Files.deleteIfExists(originFile(id));
            }
            var written = AtomicFiles.write(componentFile(id), bytes, null);
            Files.deleteIfExists(declaredPolicyFile(id));
            if (!Files.exists(policyFile(id))) {
                writePolicy(id, Policy.denyAll());
                policyWritten(id);
            }
            return ComponentMetadata.FileStamp.of(written);
        }
    }

    /** Removes a component and its policy. Returns false when there was none. */
    public boolean remove(String id) throws IOException {
        synchronized (lock(id)) {
            cache.remove(id);
            boolean existed = Files.deleteIfExists(componentFile(id));
            Files.deleteIfExists(policyFile(id));
            Files.deleteIfExists(declaredPolicyFile(id));
            Files.deleteIfExists(directory.resolve(id + ".lock"));
            Files.deleteIfExists(directory.resolve(id + ".cwasm"));
            Files.deleteIfExists(directory.resolve(id + ".cwasm.key"));
            Files.deleteIfExists(metadataFile(id));
            Files.deleteIfExists(originFile(id));
            policyWritten(id);
            return existed;
        }
    }

    /**
     * The component's current policy; no file means no permissions. The same value as long as its
     * file is unchanged (checked by its stamp), parsed again when it changed.
     */
    public Policy policy(String id) throws IOException, PolicyException {
        Path file = policyFile(id);
        ComponentMetadata.FileStamp stamp = ComponentMetadata.FileStamp.of(file);
        Cached c = cache.get(id);
        if (c != null && java.util.Objects.equals(c.stamp(), stamp)) {
            return c.policy();
        }
        Policy p;
        if (stamp == null) {
            p = Policy.denyAll();
        } else {
            try {
                p = PolicyParser.parse(file);
            } catch (NoSuchFileException e) { // removed since the stamp was taken
                return Policy.denyAll();
            }
        }
        cache.put(id, new Cached(stamp, p));
        return p;
    }

    /** Writes the policy file atomically (see {@link AtomicFiles}). */
    private void writePolicy(String id, Policy policy) throws IOException {
        AtomicFiles.write(policyFile(id), PolicyWriter.toYaml(policy).getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
    }

    /** After a policy file of {@code id} was written or removed. */
    private void policyWritten(String id) {
        cache.remove(id);
    }

    /**
     * Applies {@code change} to the component's policy and persists the result atomically, holding
     * the component's lock (in this process and on the lock file) throughout.
     */
    public Policy update(String id, UnaryOperator<Policy> change) throws IOException, PolicyException {
        synchronized (lock(id)) {
            Files.createDirectories(directory);
            try (FileChannel ch = FileChannel.open(directory.resolve(id + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                removeOrphanedTempFiles(id);
                cache.remove(id);
                Policy updated = change.apply(policy(id));
                writePolicy(id, updated);
                policyWritten(id);
                return updated;
            }
        }
    }

    /**
     * Temporary files of this component's policy left by a writer that died mid-write. Only a lock
     * holder writes them, and we hold the lock, so any that exist now are orphans.
     */
    private void removeOrphanedTempFiles(String id) throws IOException {
        String prefix = "." + id + ".policy.yaml.";
        try (Stream<Path> files = Files.list(directory)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(prefix)
                    && f.getFileName().toString().endsWith(".tmp")).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Replaces the policy with the one in {@code file} (validated first). */
    public Policy attach(String id, Path file) throws IOException, PolicyException {
        Policy p = PolicyParser.parse(file);
        return update(id, old -> p);
    }

    /** A component's declaration: its text as it came, that text's digest ({@code sha256:…}), and what it grants. */
    public record DeclaredPolicy(String yaml, String digest, Policy policy) {
        /** Validates {@code yaml} ({@code label} names it in messages). */
        public static DeclaredPolicy of(String yaml, String label) throws PolicyException {
            Policy policy = PolicyParser.parse(yaml, label);
            return new DeclaredPolicy(yaml, "sha256:" + ComponentMetadata.sha256(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)), policy);
        }
    }

    /** The component's declaration, if one came with it. */
    public java.util.Optional<DeclaredPolicy> declaredPolicy(String id) throws IOException, PolicyException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(declaredPolicyFile(id));
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(DeclaredPolicy.of(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), declaredPolicyFile(id).toString()));
    }

    /**
     * Stores {@code yaml} (policy-mcp or capability form) as the declaration of component {@code id},
     * replacing any; it is validated first, and an invalid one is refused with every problem. The
     * component's policy is not touched: a declaration is shown, and applied only by
     * {@link #applyDeclaredPolicy}.
     */
    public DeclaredPolicy saveDeclaredPolicy(String id, String yaml) throws IOException, PolicyException {
        DeclaredPolicy declared = DeclaredPolicy.of(yaml, declaredPolicyFile(id).toString());
        synchronized (lock(id)) {
            AtomicFiles.write(declaredPolicyFile(id), yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        }
        return declared;
    }

    /** Removes the component's declaration; false when it had none. */
    public boolean removeDeclaredPolicy(String id) throws IOException {
        synchronized (lock(id)) {
            return Files.deleteIfExists(declaredPolicyFile(id));
        }
    }

    /**
     * Makes the component's declaration its policy, replacing what was granted — the only way a
     * declaration is ever applied, and only with a {@code consent}: the user's grant, or a verified
     * signature whose trust policy applies declarations. The declaration must be the one consented
     * to when the consent names its digest.
     *
     * @throws IllegalArgumentException when there is no declaration, it is not the one consented
     *     to, or a trusted-signature consent does not say both "verified" and "apply"
     */
    public Policy applyDeclaredPolicy(String id, DeclarationConsent consent) throws IOException, PolicyException {
        if (consent instanceof DeclarationConsent.TrustedSignature trusted && !trusted.decision().allowsApplyingDeclaration()) {
            throw new IllegalArgumentException("the declared policy of " + id + " is not applied: " + trusted.decision().reason());
        }
        DeclaredPolicy declared = declaredPolicy(id)
                .orElseThrow(() -> new IllegalArgumentException("component " + id + " declares no permissions"));
        String wanted = consent.declarationDigest();
        if (wanted != null && !wanted.equalsIgnoreCase(declared.digest())) {
            throw new IllegalArgumentException("the declared policy of " + id + " is " + declared.digest() + ", not " + wanted
                    + " that was consented to (the component was loaded again since); review it again");
        }
        try {
            return update(id, current -> {
                if (!declared.digest().equals(declarationDigest(id))) {
                    throw new IllegalArgumentException("the declared policy of " + id + " changed while it was being applied; review it again");
                }
                return declared.policy();
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The digest of the declaration file as it is now, or null when there is none. */
    private String declarationDigest(String id) {
        try {
            return "sha256:" + ComponentMetadata.sha256(Files.readAllBytes(declaredPolicyFile(id)));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Object lock(String id) {
        checkId(id);
        return locks.computeIfAbsent(id, k -> new Object());
    }
}

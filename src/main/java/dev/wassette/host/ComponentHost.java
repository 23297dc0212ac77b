package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import dev.wassette.source.SourceSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The component store served: components in a {@link ComponentStore}, each called through its
 * {@link ComponentSandbox} under its current policy (held in memory by the store and read again
 * only when its file changes, so grants apply to the next call without a restart), with its secrets
 * and the layered environment, limits, egress checks and an audit of every denial. The MCP server
 * and the CLI's store commands use it; an embedder that keeps components and policies itself uses
 * the embedding API ({@code dev.wassette.WassetteRuntime}), which calls the same {@link ComponentSandbox}.
 *
 * <p>Environment precedence for a component, highest first: explicit values ({@code --env}), an env
 * file ({@code --env-file}), the component's secrets, the config file, the process environment —
 * and of those only the keys the policy allows.
 */
public final class ComponentHost implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");

    /**
     * Host settings; {@code baseDir} resolves relative {@code fs://} URIs. Build them with
     * {@link #builder()}: what is not set is empty, or the XDG default for the directories.
     */
    public record Settings(Path componentDir, Path secretsDir, Path baseDir, Map<String, String> processEnv,
                           Map<String, String> configEnv, Map<String, String> envFile, Map<String, String> explicitEnv,
                           Limits limits) {
        public Settings {
            processEnv = Map.copyOf(processEnv);
            configEnv = Map.copyOf(configEnv);
            envFile = Map.copyOf(envFile);
            explicitEnv = Map.copyOf(explicitEnv);
            baseDir = baseDir.toAbsolutePath().normalize();
            java.util.Objects.requireNonNull(limits, "limits");
        }

        /**
         * The settings before the builder existed, positionally; kept so code written against them
         * still compiles. Use {@link #builder()}.
         */
        @Deprecated(forRemoval = true)
        public Settings(Path componentDir, Path secretsDir, Path baseDir, Map<String, String> processEnv,
                        Map<String, String> configEnv, Map<String, String> envFile, Map<String, String> explicitEnv,
                        Duration callTimeout, long maxResultBytes) {
            this(componentDir, secretsDir, baseDir, processEnv, configEnv, envFile, explicitEnv, new Limits(callTimeout, maxResultBytes));
        }

        /** The XDG directories, this process's working directory and environment, the default limits. */
        public static Settings defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        public Duration callTimeout() {
            return limits.callTimeout();
        }

        public long maxResultBytes() {
            return limits.maxResultBytes();
        }

        public Settings withDirectories(Path components, Path secrets) {
            return new Settings(components, secrets, baseDir, processEnv, configEnv, envFile, explicitEnv, limits);
        }

        /** Builds {@link Settings}. */
        public static final class Builder {
            private Path componentDir;
            private Path secretsDir;
            private Path baseDir;
            private Map<String, String> processEnv;
            private Map<String, String> configEnv = Map.of();
            private Map<String, String> envFile = Map.of();
            private Map<String, String> explicitEnv = Map.of();
            private Limits limits = Limits.defaults();

            private Builder() {}

            /** The component store (default: {@link Paths#componentDirectory()}). */
            public Builder componentDir(Path dir) {
                this.componentDir = dir;
                return this;
            }

            /** Per-component secrets (default: {@link Paths#secretsDirectory()}). */
            public Builder secretsDir(Path dir) {
                this.secretsDir = dir;
                return this;
            }

            /** Where relative {@code fs://} rules resolve (default: the working directory). */
            public Builder baseDir(Path dir) {
                this.baseDir = dir;
                return this;
            }

            /** The lowest environment layer (default: this process's environment). */
            public Builder processEnv(Map<String, String> env) {
                this.processEnv = env;
                return this;
            }

            /** The config file's {@code [environment]}. */
            public Builder configEnv(Map<String, String> env) {
                this.configEnv = env;
                return this;
            }

            /** An env file's values ({@code --env-file}). */
            public Builder envFile(Map<String, String> env) {
                this.envFile = env;
                return this;
            }

            /** Explicit values ({@code --env}), the highest layer. */
            public Builder explicitEnv(Map<String, String> env) {
                this.explicitEnv = env;
                return this;
            }

            public Builder limits(Limits limits) {
                this.limits = limits;
                return this;
            }

            public Builder callTimeout(Duration timeout) {
                this.limits = limits.withCallTimeout(timeout);
                return this;
            }

            public Builder maxResultBytes(long bytes) {
                this.limits = limits.withMaxResultBytes(bytes);
                return this;
            }

            public Settings build() {
                return new Settings(componentDir != null ? componentDir : Paths.componentDirectory(),
                        secretsDir != null ? secretsDir : Paths.secretsDirectory(),
                        baseDir != null ? baseDir : Path.of("").toAbsolutePath(),
                        processEnv != null ? processEnv : System.getenv(), configEnv, envFile, explicitEnv, limits);
            }
        }
    }

    /** A loaded component. */
    public record Loaded(String id, ComponentSandbox sandbox) {
        public List<ExportedFunction> functions() {
            return sandbox.functions();
        }
    }

    private final Engine engine;
    private final Settings settings;
    private final ComponentStore store;
    private final SecretStore secrets;
    private final ComponentSources componentSources;
    private final Audit audit = new Audit();
    private volatile HostEvents events = HostEvents.NONE;
    private final HostLog hostLog = new HostLog(Map.of());
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
    /** Per component, its policy prepared for calls; prepared again when the policy or the caller's base directory changes. */
    private final Map<String, CallPolicy> prepared = new ConcurrentHashMap<>();
    /** Per component, its quotas in force (calls in flight, calls per minute). */
    private final Map<String, QuotaGate> gates = new ConcurrentHashMap<>();
    // Which stored bytes each loaded component came from: tells a change by another process from our own writes.
    private final Map<String, Source> sources = new ConcurrentHashMap<>();
    // Stored components whose code is not loaded yet at start-up; calls wait for them.
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    // Stored files that failed to load, so a sync does not retry them until they change.
    private final Map<String, ComponentMetadata.FileStamp> failed = new ConcurrentHashMap<>();
    // Held while the set of loaded components changes, so a sync never undoes a concurrent install.
    private final Object commit = new Object();
    private final Object syncing = new Object();

    private record Source(ComponentMetadata.FileStamp stamp, String sha256) {}

    /** A stored component to load once, by {@link #loadAll} or by the first call that needs it, whichever claims it first. */
    private static final class Pending {
        final CompletableFuture<Loaded> done = new CompletableFuture<>();
        final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();
    }

    /** A stored component described by its metadata: its tools can be listed before its code is loaded. */
    public record Described(String id, List<ExportedFunction> functions) {}

    /** What a {@link #syncWithStore} changed: components (re)loaded, ids removed, and ids that failed with why. */
    public record Changes(List<Loaded> loaded, List<String> removed, Map<String, String> failures) {
        public boolean isEmpty() {
            return loaded.isEmpty() && removed.isEmpty();
        }
    }

    public ComponentHost(Engine engine, Settings settings) {
        this(engine, settings, SourceSettings.defaults(Paths.blobCacheDirectory()));
    }

    /** A host whose components are fetched (from registries, HTTPS) under {@code sourceSettings}. */
    public ComponentHost(Engine engine, Settings settings, SourceSettings sourceSettings) {
        this.engine = engine;
        this.settings = settings;
        this.store = new ComponentStore(settings.componentDir());
        this.secrets = new SecretStore(settings.secretsDir());
        this.componentSources = new ComponentSources(sourceSettings);
    }

    /** Where this host's components come from: files, HTTPS, OCI registries. */
    public ComponentSources sources() {
        return componentSources;
    }

    public ComponentStore store() {
        return store;
    }

    public SecretStore secrets() {
        return secrets;
    }

    /**
     * Who hears of code preparation and fetches (the server's metrics); replaces the previous one.
     *
     * @param events the observer, or {@link HostEvents#NONE}
     */
    public void events(HostEvents events) {
        this.events = java.util.Objects.requireNonNull(events);
        componentSources.events(events);
    }

    public Audit audit() {
        return audit;
    }

    public Settings settings() {
        return settings;
    }

    /** Compiles {@code bytes} (binary or text), stores them under {@code id} and loads; replaces a component with that id. */
    public Loaded load(String id, byte[] bytes) throws IOException {
        return load(id, bytes, null);
    }

    /** {@link #load(String, byte[])}, recording where the bytes came from (null: not known). */
    public Loaded load(String id, byte[] bytes, ComponentOrigin origin) throws IOException {
        return install(prepare(id, bytes), bytes, origin);
    }

    /** Compiles and links a component without storing or serving it yet (see {@link #install}). */
    public Loaded prepare(String id, byte[] bytes) {
        ComponentStore.checkId(id);
        long start = System.nanoTime();
        Component component = engine.compile(bytes);
        events.codePrepared(false, System.nanoTime() - start);
        return link(id, component);
    }

    private Loaded link(String id, Component component) {
        try {
            // The host log only for a component that imports it: defining it links its functions
            // (upcall stubs, a native definition each) for components that never call them.
            boolean logs = component.imports().stream().anyMatch(i -> i.name().equals(HostLog.INTERFACE));
            return new Loaded(id, new ComponentSandbox(id, engine, component, logs ? Map.of(HostLog.INTERFACE, hostLog.functions()) : Map.of(), audit));
        } catch (RuntimeException e) {
            component.close();
            throw e;
        }
    }

    /**
     * Stores a prepared component (with its precompiled code and metadata) and serves it, replacing
     * any component with the same id. Returns what is served: {@code prepared}, or the same component
     * mapped from its precompiled code ({@link #mappedFromStore}); either way {@code prepared} is
     * the caller's no more.
     */
    public Loaded install(Loaded prepared, byte[] bytes) throws IOException {
        return install(prepared, bytes, null);
    }

    /** {@link #install(Loaded, byte[])}, recording where the bytes came from (null: not known). */
    public Loaded install(Loaded prepared, byte[] bytes, ComponentOrigin origin) throws IOException {
        String id = prepared.id();
        Loaded installed;
        Loaded old;
        synchronized (commit) {
            ComponentMetadata.FileStamp stamp;
            try {
                stamp = store.put(id, bytes, origin);
            } catch (IOException e) {
                prepared.sandbox().close();
                throw e;
            }
            String sha = ComponentMetadata.sha256(bytes);
            Path code = writePrecompiled(id, sha, prepared.sandbox().component());
            List<ExportedFunction> functions = prepared.functions(); // of exactly these bytes
            installed = code == null ? prepared : mappedFromStore(prepared, code);
            writeMetadata(id, sha, stamp, functions);
            old = loaded.put(id, installed);
            sources.put(id, new Source(stamp, sha));
            failed.remove(id);
        }
        if (old != null && old != installed) {
            old.sandbox().close();
        }
        return installed;
    }

    /**
     * The prepared component linked again from its precompiled code just stored at {@code code},
     * which is mapped: the code a compilation leaves is anonymous memory, resident whole (a
     * JavaScript component's, ~43 MB, for as long as it is loaded), where a mapped file makes
     * resident only the pages that run. {@code prepared} is closed then. When the file cannot be
     * used, {@code prepared} itself.
     */
    private Loaded mappedFromStore(Loaded prepared, Path code) {
        try {
            Loaded mapped = link(prepared.id(), engine.deserializeFile(code));
            prepared.sandbox().close();
            return mapped;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.INFO, "component {0} runs from its compiled code: its precompiled code cannot be mapped ({1})",
                    prepared.id(), e.getMessage());
            return prepared;
        }
    }

    /**
     * Installs a prepared component fetched from a source ({@link ComponentSources#fetch}), with
     * what came with it: its declared policy is saved beside it (shown, not applied), and applied
     * only when the trust policy says so for a verified signature ({@link TrustDecision}). Returns
     * the declaration, if any.
     */
    public java.util.Optional<ComponentStore.DeclaredPolicy> install(Loaded prepared, ComponentSources.Fetched fetched)
            throws IOException, PolicyException {
        if (fetched.declaredPolicy() != null) {
            try {
                // Checked before anything is stored: an invalid declaration leaves the store as it was.
                ComponentStore.DeclaredPolicy.of(fetched.declaredPolicy(),
                        fetched.declaredPolicyFrom() != null ? fetched.declaredPolicyFrom() : "the policy declared by " + fetched.source());
            } catch (PolicyException e) {
                prepared.sandbox().close();
                throw e;
            }
        }
        install(prepared, fetched.bytes(), fetched.origin());
        if (fetched.declaredPolicy() == null) {
            return java.util.Optional.empty();
        }
        String id = prepared.id();
        ComponentStore.DeclaredPolicy declared = store.saveDeclaredPolicy(id, fetched.declaredPolicy());
        if (fetched.trust().allowsApplyingDeclaration()) {
            store.applyDeclaredPolicy(id, new DeclarationConsent.TrustedSignature(fetched.trust(), declared.digest()));
            LOG.log(System.Logger.Level.INFO, "component {0}: its declared policy is applied: {1}", id, fetched.trust().reason());
        }
        return java.util.Optional.of(declared);
    }

    /** Discards a prepared component that will not be installed. */
    public void discard(Loaded prepared) {
        prepared.sandbox().close();
    }

    /**
     * Marks every stored component as loading (calls to it wait, see {@link #awaitLoaded}) and returns
     * those whose metadata matches their stored bytes: their tools can be listed at once.
     * {@link #loadAll} then loads the code.
     */
    public List<Described> beginLoadingStored() throws IOException {
        List<Described> out = new ArrayList<>();
        for (String id : store.ids()) {
            if (loaded.containsKey(id)) {
                continue;
            }
            pending.computeIfAbsent(id, k -> new Pending());
            List<ExportedFunction> functions = describe(id);
            if (functions != null) {
                out.add(new Described(id, functions));
            }
        }
        return out;
    }

    /**
     * The stored component's functions from its metadata, or null when there is none for exactly
     * these bytes and this native library. Hashes the component only when its size, time or inode
     * differ from those recorded.
     */
    List<ExportedFunction> describe(String id) throws IOException {
        ComponentMetadata.Entry entry = ComponentMetadata.read(store.metadataFile(id));
        if (entry == null || !entry.nativeVersion().equals(dev.wassette.runtime.NativeLibrary.version())) {
            return null;
        }
        Path file = store.componentFile(id);
        ComponentMetadata.FileStamp stamp = ComponentMetadata.FileStamp.of(file);
        if (stamp == null || stamp.size() != entry.stamp().size()) {
            return null;
        }
        if (!stamp.equals(entry.stamp()) && !ComponentMetadata.sha256(file).equals(entry.sha256())) {
            return null;
        }
        return entry.functions();
    }

    /** Loads every component in the store, in parallel; returns the ids that failed with their errors. */
    public Map<String, String> loadAll() throws IOException {
        java.util.Set<String> ids = new java.util.TreeSet<>(store.ids());
        ids.addAll(pending.keySet());
        Map<String, String> failures = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(ids.size(), Runtime.getRuntime().availableProcessors())))) {
            List<Future<?>> jobs = new ArrayList<>();
            for (String id : ids) {
                jobs.add(pool.submit(() -> {
                    Pending p = pending.get(id);
                    if (p == null) {
                        p = new Pending(); // stored after beginLoadingStored: nobody waits for it
                        p.claimed.set(true);
                        load(id, p);
                    } else if (p.claimed.compareAndSet(false, true)) {
                        load(id, p);
                    }
                    try {
                        p.done.join(); // when a call claimed it first, its load is part of this one
                    } catch (java.util.concurrent.CompletionException e) {
                        failures.put(id, String.valueOf(e.getCause().getMessage()));
                    }
                }));
            }
        }
        return failures;
    }

    /** Loads a claimed stored component and tells whoever waits for it. */
    private void load(String id, Pending p) {
        try {
            if (!store.contains(id)) {
                throw new NoSuchFileException(store.componentFile(id).toString(), null, "removed from the store");
            }
            loadFromStore(id, sources.get(id));
            p.done.complete(loaded.get(id));
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "cannot load component {0}: {1}", id, e.getMessage());
            p.done.completeExceptionally(e);
        } finally {
            pending.remove(id, p);
        }
    }

    /**
     * Brings the loaded components in line with the store after another process changed it: loads
     * components added or replaced there (compared by content, so this process's own writes change
     * nothing), and drops those removed. Components still loading at start-up are left to
     * {@link #loadAll}; call this again after it.
     */
    public Changes syncWithStore() throws IOException {
        synchronized (syncing) {
            List<Loaded> changed = new ArrayList<>();
            Map<String, String> failures = new java.util.TreeMap<>();
            List<String> ids = store.ids();
            for (String id : ids) {
                if (pending.containsKey(id)) {
                    continue;
                }
                Source known = sources.get(id);
                ComponentMetadata.FileStamp now = ComponentMetadata.FileStamp.of(store.componentFile(id));
                if (now == null || known != null && known.stamp().equals(now) || known == null && now.equals(failed.get(id))) {
                    continue;
                }
                try {
                    Loaded l = loadFromStore(id, known);
                    if (l != null) {
                        changed.add(l);
                    }
                } catch (Exception e) {
                    failed.put(id, now);
                    failures.put(id, String.valueOf(e.getMessage()));
                    LOG.log(System.Logger.Level.WARNING, "cannot load component {0}: {1}", id, e.getMessage());
                }
            }
            List<String> removed = new ArrayList<>();
            for (String id : List.copyOf(loaded.keySet())) {
                if (ids.contains(id) || pending.containsKey(id)) {
                    continue;
                }
                Loaded gone;
                synchronized (commit) {
                    gone = store.contains(id) ? null : loaded.remove(id);
                    if (gone != null) {
                        sources.remove(id);
                    }
                }
                if (gone != null) {
                    gone.sandbox().close();
                    removed.add(id);
                }
            }
            failed.keySet().removeIf(id -> !ids.contains(id));
            return new Changes(changed, removed, failures);
        }
    }

    /**
     * Loads the stored component {@code id}, unless its bytes are those of {@code known} (then only
     * their new stamp is recorded) or another thread installed it meanwhile. Returns the newly loaded
     * component, or null when nothing was loaded.
     */
    private Loaded loadFromStore(String id, Source known) throws IOException {
        Path file = store.componentFile(id);
        ComponentMetadata.FileStamp before = ComponentMetadata.FileStamp.of(file);
        String sha = recordedSha256(id, before);
        if (sha == null) {
            // Hashed as a stream: a component is read whole only when it must be compiled (a JavaScript
            // component is 12 MB, and each such array outlived its use in the old generation).
            sha = ComponentMetadata.sha256(file);
        }
        // A stamp that moved while reading means a writer replaced the file: don't record it for these bytes.
        ComponentMetadata.FileStamp stamp = before != null && before.equals(ComponentMetadata.FileStamp.of(file)) ? before : null;
        if (known != null && known.sha256().equals(sha)) {
            synchronized (commit) {
                if (stamp != null) {
                    sources.replace(id, known, new Source(stamp, sha));
                }
            }
            return null;
        }
        Loaded l = link(id, loadStored(id, file, sha));
        Loaded old;
        synchronized (commit) {
            if (sources.get(id) != known || !Files.exists(file)) {
                old = l; // installed by another thread while we compiled (theirs is newer), or unloaded meanwhile
                l = null;
            } else {
                old = loaded.put(id, l);
                // Without a trustworthy stamp, record none: the next sync reads the file again.
                sources.put(id, new Source(stamp == null ? new ComponentMetadata.FileStamp(-1, 0, "") : stamp, sha));
                failed.remove(id);
            }
        }
        if (old != null) {
            old.sandbox().close();
        }
        if (l != null && stamp != null) {
            writeMetadata(id, sha, stamp, l.functions());
        }
        return l;
    }

    /**
     * The hash its metadata records for the stored component, when the file's stamp (size, time to
     * the nanosecond, inode) is still the one recorded with it, as {@link #describe} trusts it; else
     * null. Hashing every stored component at each start took a second of CPU for ten JavaScript
     * components (12 MB each), the time their first calls waited. Trusting the stamp opens nothing:
     * whoever can rewrite a stored file keeping its stamp can rewrite its precompiled code too.
     */
    private String recordedSha256(String id, ComponentMetadata.FileStamp stamp) {
        if (stamp == null) {
            return null;
        }
        ComponentMetadata.Entry entry = ComponentMetadata.read(store.metadataFile(id)); // null when missing or unreadable
        return entry != null && stamp.equals(entry.stamp()) ? entry.sha256() : null;
    }

    /**
     * The loaded component {@code id}. One not loaded yet at start-up is loaded now unless its load
     * has begun; either way the wait is bounded by the call timeout. Null when there is no such
     * component.
     */
    public Loaded awaitLoaded(String id) throws IOException {
        Loaded l = loaded.get(id);
        if (l != null) {
            return l;
        }
        Pending p = pending.get(id);
        if (p == null) {
            return loaded.get(id); // it may have finished between the two looks
        }
        if (p.claimed.compareAndSet(false, true)) {
            // On its own thread, so this call's wait stays bounded even if loading takes longer.
            Thread.ofPlatform().name("wassette-load-" + id).daemon().start(() -> load(id, p));
        }
        Duration timeout = settings.callTimeout();
        try {
            return p.done.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("component " + id + " is still loading after " + timeout.toMillis() + " ms");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("component " + id + " could not be loaded: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while component " + id + " was loading");
        }
    }

    /**
     * A stored component from its precompiled code when that was made from the same bytes by this
     * Wasmtime build; otherwise compiled again (and the precompiled code refreshed).
     */
    private Component loadStored(String id, Path file, String sha) throws IOException {
        Path cwasm = store.precompiled(id, sha);
        if (cwasm != null) {
            try {
                long start = System.nanoTime();
                Component mapped = engine.deserializeFile(cwasm); // mapped, not read into the heap
                events.codePrepared(true, System.nanoTime() - start);
                return mapped;
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.INFO, "precompiled code of {0} is unusable ({1}); compiling", id, e.getMessage());
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        if (!ComponentMetadata.sha256(bytes).equals(sha)) {
            throw new IOException("component " + id + " changed while it was being loaded");
        }
        long start = System.nanoTime();
        Component c = engine.compile(bytes);
        events.codePrepared(false, System.nanoTime() - start);
        writePrecompiled(id, sha, c);
        return c;
    }

    /** Stores the component's precompiled code; returns its file, or null when it could not be stored. */
    private Path writePrecompiled(String id, String sha, Component component) {
        try {
            return store.savePrecompiled(id, sha, component);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot store precompiled code of {0}: {1}", id, e.getMessage());
            return null;
        }
    }

    /** Writes the component's metadata unless the file already says exactly this. */
    private void writeMetadata(String id, String sha, ComponentMetadata.FileStamp stamp, List<ExportedFunction> functions) {
        var entry = new ComponentMetadata.Entry(sha, dev.wassette.runtime.NativeLibrary.version(), stamp, List.copyOf(functions));
        try {
            if (!entry.equals(ComponentMetadata.read(store.metadataFile(id)))) {
                ComponentMetadata.write(store.metadataFile(id), entry);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot store the tool metadata of {0}: {1}", id, e.getMessage());
        }
    }

    public boolean unload(String id) throws IOException {
        Loaded l;
        boolean stored;
        synchronized (commit) {
            // The files go under the lock too: a store sync that read them before commits only if
            // they are still there (see loadFromStore), so it cannot bring the component back.
            stored = store.remove(id);
            l = loaded.remove(id);
            sources.remove(id);
            prepared.remove(id);
            gates.remove(id);
        }
        if (l != null) {
            l.sandbox().close();
        }
        return stored || l != null;
    }

    public Collection<Loaded> components() {
        return loaded.values();
    }

    public Loaded component(String id) {
        return loaded.get(id);
    }

    /**
     * The value a component is offered for {@code key} before its policy filters it, layer by layer
     * (highest first), or null. Looked up per allowed key, so a call copies no environment and
     * reads the component's secrets only when its policy allows some key. The last layer is the
     * environment of {@code client}, or of this process when null.
     */
    public String environmentValue(String id, String key, ClientEnvironment client) throws IOException {
        String v = settings.explicitEnv().get(key);
        if (v == null) {
            v = settings.envFile().get(key);
        }
        if (v == null) {
            v = secrets.get(id).get(key);
        }
        if (v == null) {
            v = settings.configEnv().get(key);
        }
        return v != null ? v : (client != null ? client.variables() : settings.processEnv()).get(key);
    }

    /** Where relative {@code fs://} rules resolve for {@code client} (this process's when null). */
    public Path baseDir(ClientEnvironment client) {
        return client != null ? client.workingDirectory() : settings.baseDir();
    }

    private java.util.function.Function<String, String> environmentLookup(String id, ClientEnvironment client) {
        return key -> {
            try {
                return environmentValue(id, key, client);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
    }

    /**
     * Calls a function of a loaded component under its current policy. Rules of the policy that
     * cannot be enforced are left out (never widened) and reported in the context's policy notes.
     *
     * @throws TrapException on a trap, a limit hit, a cancellation or a result over the cap
     */
    public Val call(String id, ExportedFunction function, List<Val> args) throws IOException, PolicyException {
        return call(id, function, args, new CallContext());
    }

    /** {@link #call} that can be cancelled through {@code context}, which also receives timings and denials. */
    public Val call(String id, ExportedFunction function, List<Val> args, CallContext context) throws IOException, PolicyException {
        Loaded l = Objects.requireNonNull(awaitLoaded(id), () -> "no component loaded with id " + id);
        ClientEnvironment client = context.client();
        Policy stored = store.policy(id);
        CallPolicy policy = callPolicy(id, stored, baseDir(client));
        try (QuotaGate.Admission admitted = admit(id, function, stored.resources().quotas(), context)) {
            return l.sandbox().call(function, args, policy, environmentLookup(id, client), context);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The call admitted by the component's quotas, or refused (audited, recorded in {@code context}). */
    private QuotaGate.Admission admit(String id, ExportedFunction function, Policy.Quotas quotas, CallContext context) throws IOException {
        QuotaGate gate = gates.get(id);
        if (gate == null || !gate.quotas().equals(quotas)) {
            QuotaGate made = new QuotaGate(quotas);
            gate = gates.compute(id, (k, old) -> old != null && old.quotas().equals(quotas) ? old : made);
        }
        try {
            return gate.admit(settings.callTimeout());
        } catch (QuotaExceededException e) {
            audit.deny(id, function.qualifiedName(), Audit.Category.QUOTA, e.getMessage(), context.traceId());
            context.denied(Audit.Category.QUOTA, e.getMessage());
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for a call slot of " + id);
        }
    }

    /** The component's policy prepared for calls, made again only when the policy or the base directory changed. */
    private CallPolicy callPolicy(String id, Policy policy, Path baseDir) {
        CallPolicy p = prepared.get(id);
        if (p == null || !p.isFor(policy, baseDir, settings.limits())) {
            p = CallPolicy.of(policy, baseDir, settings.limits());
            prepared.put(id, p);
        }
        return p;
    }

    @Override
    public void close() {
        pending.values().forEach(p -> p.done.completeExceptionally(new IllegalStateException("the server is shutting down")));
        loaded.values().forEach(l -> l.sandbox().close());
        loaded.clear();
        sources.clear();
    }
}

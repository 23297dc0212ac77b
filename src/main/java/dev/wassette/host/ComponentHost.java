package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The embedding API of Wassette: components in a {@link ComponentStore}, each called under its
 * current policy (re-read per call, so grants apply to the next call without a restart), with its
 * secrets and the layered environment, limits, egress checks and an audit of every denial.
 *
 * <p>Environment precedence for a component, highest first: explicit values ({@code --env}), an env
 * file ({@code --env-file}), the component's secrets, the config file, the process environment —
 * and of those only the keys the policy allows.
 */
public final class ComponentHost implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");

    /** Host settings; {@code baseDir} resolves relative {@code fs://} URIs. */
    public record Settings(Path componentDir, Path secretsDir, Path baseDir, Map<String, String> processEnv,
                           Map<String, String> configEnv, Map<String, String> envFile, Map<String, String> explicitEnv,
                           Duration callTimeout, long maxResultBytes) {
        public Settings {
            processEnv = Map.copyOf(processEnv);
            configEnv = Map.copyOf(configEnv);
            envFile = Map.copyOf(envFile);
            explicitEnv = Map.copyOf(explicitEnv);
        }

        public static Settings defaults() {
            return new Settings(Paths.componentDirectory(), Paths.secretsDirectory(), Path.of("").toAbsolutePath(),
                    System.getenv(), Map.of(), Map.of(), Map.of(), Duration.ofSeconds(30), 16L << 20);
        }

        public Settings withDirectories(Path components, Path secrets) {
            return new Settings(components, secrets, baseDir, processEnv, configEnv, envFile, explicitEnv, callTimeout, maxResultBytes);
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
    private final Audit audit = new Audit();
    private final HostLog hostLog = new HostLog(Map.of());
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
    /** Per component, the policy notes last logged, so each change is logged once, not on every call. */
    private final Map<String, List<String>> reportedNotes = new ConcurrentHashMap<>();

    public ComponentHost(Engine engine, Settings settings) {
        this.engine = engine;
        this.settings = settings;
        this.store = new ComponentStore(settings.componentDir());
        this.secrets = new SecretStore(settings.secretsDir());
    }

    public ComponentStore store() {
        return store;
    }

    public SecretStore secrets() {
        return secrets;
    }

    public Audit audit() {
        return audit;
    }

    public Settings settings() {
        return settings;
    }

    /** Compiles {@code bytes} (binary or text), stores them under {@code id} and loads; replaces a component with that id. */
    public Loaded load(String id, byte[] bytes) throws IOException {
        Loaded l = prepare(id, bytes);
        install(l, bytes);
        return l;
    }

    /** Compiles and links a component without storing or serving it yet (see {@link #install}). */
    public Loaded prepare(String id, byte[] bytes) {
        ComponentStore.checkId(id);
        Component component = engine.compile(bytes);
        return link(id, component);
    }

    private Loaded link(String id, Component component) {
        try {
            return new Loaded(id, new ComponentSandbox(engine, component, hostLog));
        } catch (RuntimeException e) {
            component.close();
            throw e;
        }
    }

    /** Stores a prepared component (and its precompiled code) and serves it, replacing any component with the same id. */
    public void install(Loaded prepared, byte[] bytes) throws IOException {
        try {
            store.put(prepared.id(), bytes);
            writePrecompiled(prepared.id(), bytes, prepared.sandbox().component());
        } catch (IOException e) {
            prepared.sandbox().close();
            throw e;
        }
        Loaded old = loaded.put(prepared.id(), prepared);
        if (old != null) {
            old.sandbox().close();
        }
    }

    /** Discards a prepared component that will not be installed. */
    public void discard(Loaded prepared) {
        prepared.sandbox().close();
    }

    /** Loads every component in the store, in parallel; returns the ids that failed with their errors. */
    public Map<String, String> loadAll() throws IOException {
        List<String> ids = store.ids();
        Map<String, String> failures = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(ids.size(), Runtime.getRuntime().availableProcessors())))) {
            List<Future<?>> jobs = new ArrayList<>();
            for (String id : ids) {
                jobs.add(pool.submit(() -> {
                    try {
                        Loaded l = link(id, loadStored(id));
                        Loaded old = loaded.put(id, l);
                        if (old != null) {
                            old.sandbox().close();
                        }
                    } catch (Exception e) {
                        failures.put(id, String.valueOf(e.getMessage()));
                        LOG.log(System.Logger.Level.WARNING, "cannot load component {0}: {1}", id, e.getMessage());
                    }
                }));
            }
        }
        return failures;
    }

    /**
     * A stored component from its precompiled code when that was made from the same bytes by this
     * Wasmtime build; otherwise compiled again (and the precompiled code refreshed).
     */
    private Component loadStored(String id) throws IOException {
        byte[] bytes = Files.readAllBytes(store.componentFile(id));
        String key = precompiledKey(bytes);
        Path cwasm = store.directory().resolve(id + ".cwasm");
        Path keyFile = store.directory().resolve(id + ".cwasm.key");
        if (Files.isRegularFile(cwasm) && Files.isRegularFile(keyFile) && Files.readString(keyFile).strip().equals(key)) {
            try {
                return engine.deserialize(Files.readAllBytes(cwasm));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.INFO, "precompiled code of {0} is unusable ({1}); compiling", id, e.getMessage());
            }
        }
        Component c = engine.compile(bytes);
        writePrecompiled(id, bytes, c);
        return c;
    }

    private void writePrecompiled(String id, byte[] bytes, Component component) {
        try {
            dev.wassette.policy.AtomicFiles.write(store.directory().resolve(id + ".cwasm"), component.serialize(), null);
            dev.wassette.policy.AtomicFiles.write(store.directory().resolve(id + ".cwasm.key"),
                    precompiledKey(bytes).getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot store precompiled code of {0}: {1}", id, e.getMessage());
        }
    }

    /** The component's hash and the exact native library: precompiled code is valid only for both. */
    static String precompiledKey(byte[] bytes) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
            return java.util.HexFormat.of().formatHex(digest) + " " + dev.wassette.runtime.NativeLibrary.version();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean unload(String id) throws IOException {
        Loaded l = loaded.remove(id);
        if (l != null) {
            l.sandbox().close();
        }
        return store.remove(id) || l != null;
    }

    public Collection<Loaded> components() {
        return loaded.values();
    }

    public Loaded component(String id) {
        return loaded.get(id);
    }

    /** The environment a component would be offered before its policy filters it. */
    public Map<String, String> environmentSource(String id) throws IOException {
        Map<String, String> env = new HashMap<>(settings.processEnv());
        env.putAll(settings.configEnv());
        env.putAll(secrets.get(id));
        env.putAll(settings.envFile());
        env.putAll(settings.explicitEnv());
        return env;
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
        Loaded l = Objects.requireNonNull(loaded.get(id), () -> "no component loaded with id " + id);
        Policy policy = store.policy(id);
        String fn = function.qualifiedName();
        Grants grants = PolicyMapping.map(policy, settings.baseDir(), environmentSource(id), settings.callTimeout());
        context.policyNotes(grants.notes());
        if (l.sandbox().usesFilesystem()) {
            context.storageVisible(grants.preopens().stream()
                    .map(p -> p.guestPath() + (p.writable() ? " (read, write)" : " (read-only)")).toList());
        }
        List<String> previous = reportedNotes.put(id, grants.notes());
        if (!grants.notes().isEmpty() && !grants.notes().equals(previous)) {
            LOG.log(System.Logger.Level.WARNING, "component {0}: policy rules not in force: {1}", id, String.join("; ", grants.notes()));
        }
        PolicyEgress egress = new PolicyEgress(policy, denial -> {
            audit.deny(id, fn, Audit.Category.NETWORK, denial);
            context.denied(Audit.Category.NETWORK, denial);
        });
        Val value;
        try {
            value = l.sandbox().call(function, args, grants, egress, settings.callTimeout(), context);
        } catch (TrapException e) {
            Audit.Category category = switch (e.kind()) {
                case TIMEOUT -> Audit.Category.TIMEOUT;
                case OUT_OF_FUEL -> Audit.Category.CPU;
                case MEMORY_LIMIT -> Audit.Category.MEMORY;
                case STACK_OVERFLOW -> Audit.Category.STACK;
                default -> null;
            };
            if (category != null) {
                audit.deny(id, fn, category, e.getMessage());
                context.denied(category, e.getMessage());
            }
            throw e;
        }
        long size = ValueSize.of(value);
        if (size > settings.maxResultBytes()) {
            String message = fn + ": result of about " + size + " bytes exceeds the limit of " + settings.maxResultBytes() + " bytes";
            audit.deny(id, fn, Audit.Category.RESULT_SIZE, message);
            context.denied(Audit.Category.RESULT_SIZE, message);
            throw new TrapException(TrapException.Kind.RESULT_LIMIT, message, List.of());
        }
        return value;
    }

    @Override
    public void close() {
        loaded.values().forEach(l -> l.sandbox().close());
        loaded.clear();
    }
}

package dev.wassette;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.host.Audit;
import dev.wassette.host.CallContext;
import dev.wassette.host.ComponentSandbox;
import dev.wassette.host.ComponentSources;
import dev.wassette.host.ComponentStore;
import dev.wassette.host.HostLog;
import dev.wassette.host.Limits;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.HostFunction;
import dev.wassette.runtime.Val;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs untrusted WebAssembly components in this JVM, each call under a {@link Policy}: the files,
 * network hosts and environment variables it grants, a memory limit and CPU share, and for every
 * call a wall-clock deadline and a cap on the size of its result. Everything not granted is denied.
 *
 * <pre>{@code
 * try (WassetteRuntime wassette = WassetteRuntime.builder().callTimeout(Duration.ofSeconds(5)).build();
 *      SandboxedComponent tool = wassette.load(Path.of("tool.wasm"),
 *              Policy.builder().allowRead(Path.of("/srv/data")).allowHost("api.example.com").build())) {
 *     JsonNode result = wassette.call(tool, "my:pkg/tools#summarize", Map.of("path", "/srv/data/report.txt"));
 * }
 * }</pre>
 *
 * <p>Thread-safe: every call runs in a fresh Wasmtime store and instance, made from the
 * component's pre-instantiation (linked once, shared), so calls from many threads do not contend
 * and a trap in one cannot affect another. A call holds its thread while the guest runs; the
 * {@code callAsync} variants run it on the runtime's executor (platform threads, see
 * {@link Builder#executor}). This is the same call path the MCP server and the CLI use.
 *
 * <p>{@link #close()} refuses new calls, cancels those in flight (they stop at the next epoch tick),
 * waits for them, and releases every component and the engine.
 */
public final class WassetteRuntime implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Engine engine;
    private final boolean ownsEngine;
    private final Limits limits;
    private final Path baseDirectory;
    private final Map<String, String> environment;
    private final Map<String, Map<String, HostFunction>> hostInterfaces;
    private final Executor executor;
    private final ExecutorService ownExecutor;
    private final Audit audit = new Audit();
    private final Set<SandboxedComponent> components = ConcurrentHashMap.newKeySet();
    /** Calls in flight, to cancel and wait for at close. */
    private final Set<CallContext> inFlight = ConcurrentHashMap.newKeySet();
    private final Object closeLock = new Object();
    private volatile boolean closed;

    private WassetteRuntime(Builder b) {
        this.ownsEngine = b.engine == null;
        Engine e = b.engine;
        if (e == null) {
            Engine.Builder engineBuilder = Engine.builder();
            if (b.compilationCache != null) {
                engineBuilder.cacheDirectory(b.compilationCache);
            }
            if (b.instanceSlots > 0) {
                engineBuilder.poolingAllocator(b.instanceSlots, Engine.MAX_32BIT_MEMORY_BYTES);
            }
            e = engineBuilder.build();
        }
        this.engine = e;
        ComponentSandbox.requireLimitsEnforceable(engine); // only a caller's engine can fail it: theirs to close
        this.limits = new Limits(b.callTimeout, b.maxResultBytes);
        this.baseDirectory = b.baseDirectory.toAbsolutePath().normalize();
        this.environment = Map.copyOf(b.environment);
        Map<String, Map<String, HostFunction>> interfaces = new LinkedHashMap<>();
        interfaces.put(HostLog.INTERFACE, new HostLog(Map.of()).functions());
        b.hostInterfaces.forEach((name, functions) -> interfaces.put(name, Map.copyOf(functions)));
        this.hostInterfaces = Map.copyOf(interfaces);
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownExecutor = null;
        } else {
            // Guest code holds its thread for the whole call (a virtual thread would pin its carrier):
            // a bounded pool of platform threads, one per core.
            this.ownExecutor = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(),
                    Thread.ofPlatform().name("wassette-call-", 0).daemon().factory());
            this.executor = ownExecutor;
        }
    }

    /** A builder with the defaults: 30 s per call, 16 MiB of result, no environment, host functions of none. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Compiles and links the component in {@code file} (binary {@code .wasm} or component text)
     * to run under {@code policy}; it is named after the file in the audit log.
     *
     * @throws IOException when the file cannot be read
     * @throws dev.wassette.runtime.WasmtimeException when it is not a valid component, or imports
     *     what the runtime does not provide (every missing import is named)
     */
    public SandboxedComponent load(Path file, Policy policy) throws IOException {
        return load(ComponentStore.idFor(file.getFileName().toString()), Files.readAllBytes(file), policy);
    }

    /** Like {@link #load(Path, Policy)}, from the component's bytes, named {@code name} in the audit log. */
    public SandboxedComponent load(String name, byte[] bytes, Policy policy) {
        Objects.requireNonNull(policy, "policy");
        checkOpen();
        Component component = engine.compile(bytes);
        ComponentSandbox sandbox;
        try {
            sandbox = new ComponentSandbox(name, engine, component, hostInterfaces, audit);
        } catch (RuntimeException e) {
            component.close();
            throw e;
        }
        SandboxedComponent loaded = new SandboxedComponent(this, sandbox, policy, true);
        components.add(loaded);
        if (closed) { // closed meanwhile: do not leave it behind
            loaded.close();
            checkOpen();
        }
        return loaded;
    }

    /**
     * Like {@link #load(Path, Policy)}, from a URI: a {@code file:} URI or a path (relative to the
     * runtime's base directory).
     *
     * @throws IOException when it cannot be read, or the scheme is not supported
     */
    public SandboxedComponent load(URI uri, Policy policy) throws IOException {
        ComponentSources.Fetched fetched;
        try {
            fetched = ComponentSources.fetch(uri.toString(), baseDirectory, null);
        } catch (ComponentSources.SourceException e) {
            throw new IOException(e.getMessage(), e);
        }
        return load(fetched.suggestedId(), fetched.bytes(), policy);
    }

    /**
     * Calls {@code function} of {@code component} with arguments by parameter name, as JSON-like
     * values (maps, lists, strings, numbers, booleans, null); see {@link SandboxedComponent#call(String, Map)}.
     */
    public JsonNode call(SandboxedComponent component, String function, Map<String, ?> args) {
        return component.call(function, args);
    }

    /** Calls {@code function} with a JSON object of arguments; see {@link SandboxedComponent#call(String, JsonNode)}. */
    public JsonNode call(SandboxedComponent component, String function, JsonNode args) {
        return component.call(function, args);
    }

    /** Calls {@code function} with typed values; see {@link SandboxedComponent#call(String, Val...)}. */
    public Val call(SandboxedComponent component, String function, Val... args) {
        return component.call(function, args);
    }

    /** {@link #call(SandboxedComponent, String, Map)} on the runtime's executor. */
    public CompletableFuture<JsonNode> callAsync(SandboxedComponent component, String function, Map<String, ?> args) {
        return component.callAsync(function, args);
    }

    /** The wall-clock limit of every call. */
    public Duration callTimeout() {
        return limits.callTimeout();
    }

    /** The largest result a call may return, in bytes of its JSON form. */
    public long maxResultBytes() {
        return limits.maxResultBytes();
    }

    /** Where relative directories of policies resolve. */
    public Path baseDirectory() {
        return baseDirectory;
    }

    /**
     * How many denials and limit hits of each category ({@code network}, {@code timeout},
     * {@code cpu}, {@code memory}, {@code stack}, {@code result_size}, …) calls have had; the audit
     * log (logger {@code dev.wassette.audit}) has each one with what decided it.
     */
    public Map<String, Long> denials() {
        Map<String, Long> out = new LinkedHashMap<>();
        audit.counts().forEach((category, count) -> out.put(category.name().toLowerCase(java.util.Locale.ROOT), count));
        return out;
    }

    Limits limits() {
        return limits;
    }

    Engine engine() {
        return engine;
    }

    Executor executor() {
        return executor;
    }

    ObjectMapper json() {
        return JSON;
    }

    /** The value offered for an environment variable the policy allows, or null. */
    Function<String, String> environment() {
        return environment::get;
    }

    /** Registers a call about to run; false when the runtime is closed. */
    boolean enter(CallContext call) {
        inFlight.add(call);
        if (closed) {
            inFlight.remove(call);
            return false;
        }
        return true;
    }

    void exit(CallContext call) {
        inFlight.remove(call);
        if (closed) {
            synchronized (closeLock) {
                closeLock.notifyAll();
            }
        }
    }

    void forget(SandboxedComponent component) {
        components.remove(component);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the runtime is closed");
        }
    }

    /**
     * Refuses new calls, cancels the calls in flight and waits for them to stop (they stop at the
     * next epoch tick, or when a host call they are in returns), then releases the components, the
     * runtime's own executor and engine. Idempotent.
     */
    @Override
    public void close() {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
            inFlight.forEach(c -> c.cancel("the runtime is closing"));
            long deadline = System.nanoTime() + limits.callTimeout().plusSeconds(5).toNanos();
            boolean interrupted = false;
            while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
                try {
                    closeLock.wait(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        List.copyOf(components).forEach(SandboxedComponent::close);
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
        if (ownsEngine) {
            engine.close();
        }
    }

    /** Settings of a {@link WassetteRuntime}. */
    public static final class Builder {
        private Duration callTimeout = Limits.DEFAULT_CALL_TIMEOUT;
        private long maxResultBytes = Limits.DEFAULT_MAX_RESULT_BYTES;
        private Path baseDirectory = Path.of("");
        private Map<String, String> environment = Map.of();
        private final Map<String, Map<String, HostFunction>> hostInterfaces = new LinkedHashMap<>();
        private Engine engine;
        private Path compilationCache;
        private int instanceSlots;
        private Executor executor;

        private Builder() {}

        /** Wall-clock limit of every call (default 30 s); a policy's CPU share is taken of it. */
        public Builder callTimeout(Duration timeout) {
            this.callTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Largest result accepted, in bytes of its JSON form (default 16 MiB); a larger one is an error. */
        public Builder maxResultBytes(long bytes) {
            this.maxResultBytes = bytes;
            return this;
        }

        /** Where relative directories of policies resolve (default: the working directory). */
        public Builder baseDirectory(Path dir) {
            this.baseDirectory = Objects.requireNonNull(dir);
            return this;
        }

        /**
         * The environment variables offered to components (default: none). A component sees only
         * those its policy allows; nothing of this process's environment is offered unless given here.
         */
        public Builder environment(Map<String, String> variables) {
            this.environment = Map.copyOf(variables);
            return this;
        }

        /**
         * Implements an interface components may import, in Java: {@code interfaceName} as the
         * component names it ({@code my:app/pricing@1.0.0}), {@code functions} by function name. A
         * function runs on the thread of the call; what it throws fails that call (a host error).
         */
        public Builder hostInterface(String interfaceName, Map<String, HostFunction> functions) {
            hostInterfaces.put(Objects.requireNonNull(interfaceName), Map.copyOf(functions));
            return this;
        }

        /**
         * Runs components on {@code engine} (shared, not closed by the runtime). It must have epoch
         * interruption and fuel metering on (the defaults of {@link Engine#builder()}).
         */
        public Builder engine(Engine engine) {
            this.engine = Objects.requireNonNull(engine);
            return this;
        }

        /** Keeps compiled code in {@code dir} across runs (Wasmtime's cache); for the runtime's own engine. */
        public Builder compilationCache(Path dir) {
            this.compilationCache = Objects.requireNonNull(dir);
            return this;
        }

        /**
         * Gives the runtime's own engine Wasmtime's pooling allocator with {@code slots} instance
         * slots (default: none, instances allocated on demand). Each call's fresh instance then
         * reuses a slot instead of mapping and unmapping its memory: several times cheaper to make
         * and drop (bench/README.md, U), for address space reserved up front (about 16 GiB per slot,
         * never committed unless used). At most {@code slots} calls hold an instance at once; one
         * more waits for a slot within its deadline. For an engine given to {@link #engine}, use
         * {@link Engine.Builder#poolingAllocator} instead.
         */
        public Builder instanceSlots(int slots) {
            if (slots < 1) {
                throw new IllegalArgumentException("instance slots must be at least 1, got " + slots);
            }
            this.instanceSlots = slots;
            return this;
        }

        /**
         * Runs the {@code callAsync} calls on {@code executor} (default: a pool of platform threads,
         * one per core). Guest code holds its thread for the whole call: prefer platform threads.
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor);
            return this;
        }

        /**
         * The runtime with these settings (and, unless one was given, an engine of its own).
         *
         * @throws IllegalArgumentException when a limit is not positive, the given engine cannot
         *     enforce deadlines and CPU limits, or both an engine and instance slots were given
         */
        public WassetteRuntime build() {
            new Limits(callTimeout, maxResultBytes); // checks them before anything is created
            if (engine != null && instanceSlots > 0) {
                throw new IllegalArgumentException("instanceSlots configures the runtime's own engine; give the engine passed to engine(...) "
                        + "its slots with Engine.builder().poolingAllocator(...)");
            }
            return new WassetteRuntime(this);
        }
    }
}

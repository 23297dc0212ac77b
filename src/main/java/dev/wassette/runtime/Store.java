package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A Wasmtime store: the instances, memories and WASI state of one unit of work (in Wassette, one
 * tool call). Confined to the thread that created it. Closing it frees everything the guest held.
 *
 * <p>A store owns native memory and a Wasmtime store: whoever creates it closes it (with
 * try-with-resources), before the engine. The {@link Instance}s and {@link Val.ResourceVal}
 * handles it produced are dead once it is closed.
 */
public final class Store implements AutoCloseable {
    private static final long NO_DEADLINE = 1L << 62;
    private static final long SCRATCH_BYTES = 16 * 1024;
    /** Resolved lazily, after the library is loaded. Declared {@code f()} in C, so jextract makes it variadic. */
    private static final class WasiConfigFactory {
        static final wasi_config_new NEW = wasi_config_new.makeInvoker();
    }

    private final Engine engine;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment handle;
    private final MemorySegment context;
    private final Duration timeout;
    /** Set when the store has a timeout or can be cancelled: then every tick asks it whether to go on. */
    private final DeadlineWatch watch;
    private final List<MemorySegment> upcallTargets = new ArrayList<>(4);
    private final List<GuestOutput> outputs = new ArrayList<>(2);
    private final List<MemorySegment> resources = new ArrayList<>();
    private final boolean memoryLimited;
    /** Pool slots this store holds (one per instance it made on a pooled engine), given back as it closes. */
    private int instanceSlotsHeld;
    /** Kept up to date by the native limiter: linear memory held by the store's guests. */
    private final MemorySegment memoryHeld;
    private boolean http;
    private boolean closed;
    /** Whether this store holds the engine's ticker awake (it has a deadline watch). */
    private boolean ticked;

    /**
     * Creates a store applying {@code config}'s limits, WASI context and egress check.
     *
     * @param engine the engine; it must stay open while the store lives
     * @param config the store's limits and capabilities
     * @throws IllegalArgumentException if {@code config} needs an engine feature that is off (fuel,
     *     epoch interruption for a timeout or cancellation) or {@code http} without WASI
     * @throws WasiConfig.PreopenException if a directory to preopen cannot be opened
     * @throws WasmtimeException if Wasmtime rejects the configuration
     */
    public Store(Engine engine, StoreConfig config) {
        this.engine = engine;
        this.handle = wasmtime_store_new(engine.handle(), MemorySegment.NULL, MemorySegment.NULL);
        this.context = wasmtime_store_context(handle);
        this.timeout = config.timeoutValue();
        this.memoryLimited = config.memoryLimitBytes() >= 0;
        this.memoryHeld = arena.allocate(ValueLayout.JAVA_LONG);
        this.watch = timeout != null || config.cancellationValue() != null
                ? new DeadlineWatch(timeout, config.cancellationValue()) : null;
        try {
            // Installed even without a limit: it measures the memory held, at the cost of one call per memory grow.
            wassette_store_limiter(handle, config.memoryLimitBytes(), -1, -1, -1, -1, memoryHeld);
            if (engine.consumeFuel()) {
                long fuel = config.fuelUnits() >= 0 ? config.fuelUnits() : Long.MAX_VALUE;
                Errors.check(wasmtime_context_set_fuel(context, fuel), "cannot set fuel");
            } else if (config.fuelUnits() >= 0) {
                throw new IllegalArgumentException("a fuel limit needs an engine with consumeFuel(true)");
            }
            if (timeout != null && !engine.epochInterruption()) {
                throw new IllegalArgumentException("a timeout needs an engine with epochInterruption(true)");
            }
            if (config.cancellationValue() != null && !engine.epochInterruption()) {
                throw new IllegalArgumentException("cancelling calls needs an engine with epochInterruption(true)");
            }
            if (watch != null) {
                MemorySegment watchEnv = Upcalls.register(watch);
                upcallTargets.add(watchEnv);
                wasmtime_store_epoch_deadline_callback(handle, Upcalls.epochDeadlineStub(), watchEnv, MemorySegment.NULL);
                engine.ticksNeeded();
                ticked = true;
            }
            setDeadline();
            MemorySegment egressEnv = Upcalls.register(config.egressCheck());
            upcallTargets.add(egressEnv);
            if (config.wasiConfig() != null) {
                applyWasi(config.wasiConfig(), egressEnv);
            }
            this.http = config.httpEnabled();
            if (http) {
                if (config.wasiConfig() == null) {
                    throw new IllegalArgumentException("wasi:http needs a WASI context: set StoreConfig.wasi(...)");
                }
                wasmtime_context_set_wasi_http(context);
                wassette_context_set_http_egress_check(context, Upcalls.egressCheckStub(), egressEnv);
                if (config.httpByteLimit() >= 0) {
                    wassette_context_set_http_egress_byte_limit(context, config.httpByteLimit());
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void applyWasi(WasiConfig wasi, MemorySegment egressEnv) {
        MemorySegment cfg = WasiConfigFactory.NEW.apply();
        boolean consumed = false;
        try (Arena tmp = Arena.ofConfined()) {
            for (WasiConfig.Preopen p : wasi.preopens()) {
                if (!wasi_config_preopen_dir(cfg, tmp.allocateFrom(p.hostPath().toString()),
                        tmp.allocateFrom(p.guestPath()), p.writable())) {
                    throw new WasiConfig.PreopenException(p.hostPath(), p.guestPath());
                }
            }
            Map<String, String> env = wasi.env();
            if (!env.isEmpty()) {
                MemorySegment names = tmp.allocate(ValueLayout.ADDRESS, env.size());
                MemorySegment values = tmp.allocate(ValueLayout.ADDRESS, env.size());
                int i = 0;
                for (Map.Entry<String, String> e : env.entrySet()) {
                    names.setAtIndex(ValueLayout.ADDRESS, i, tmp.allocateFrom(e.getKey()));
                    values.setAtIndex(ValueLayout.ADDRESS, i, tmp.allocateFrom(e.getValue()));
                    i++;
                }
                if (!wasi_config_set_env(cfg, env.size(), names, values)) {
                    throw new WasmtimeException("invalid environment variable (not UTF-8)");
                }
            }
            List<String> args = wasi.argList();
            if (!args.isEmpty()) {
                MemorySegment argv = tmp.allocate(ValueLayout.ADDRESS, args.size());
                for (int i = 0; i < args.size(); i++) {
                    argv.setAtIndex(ValueLayout.ADDRESS, i, tmp.allocateFrom(args.get(i)));
                }
                wasi_config_set_argv(cfg, args.size(), argv);
            }
            wasi_config_set_stdout_custom(cfg, Upcalls.outputStub(), outputEnv(wasi.stdoutSink()), MemorySegment.NULL);
            wasi_config_set_stderr_custom(cfg, Upcalls.outputStub(), outputEnv(wasi.stderrSink()), MemorySegment.NULL);
            if (wasi.socketsEnabled()) {
                wassette_wasi_config_set_socket_check(cfg, Upcalls.egressCheckStub(), egressEnv);
                wasi_config_allow_ip_name_lookup(cfg, wasi.nameLookupEnabled());
            }
            consumed = true;
            Errors.check(wasmtime_context_set_wasi(context, cfg), "cannot configure WASI");
        } finally {
            if (!consumed) {
                wasi_config_delete(cfg);
            }
        }
    }

    private MemorySegment outputEnv(java.util.function.Consumer<String> sink) {
        GuestOutput output = new GuestOutput(sink, 8192);
        outputs.add(output);
        MemorySegment env = Upcalls.register(output);
        upcallTargets.add(env);
        return env;
    }

    /** Re-arms the per-call deadline (epoch ticks from now). */
    void setDeadline() {
        if (!engine.epochInterruption()) {
            return;
        }
        if (watch != null) {
            watch.rearm();
            wasmtime_context_set_epoch_deadline(context, 1);
        } else {
            wasmtime_context_set_epoch_deadline(context, NO_DEADLINE);
        }
    }

    /**
     * Fuel left.
     *
     * @return the remaining fuel units, or -1 when the engine does not meter fuel
     * @throws IllegalStateException if the store is closed
     */
    public long fuelRemaining() {
        if (!engine.consumeFuel()) {
            return -1;
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment out = tmp.allocate(ValueLayout.JAVA_LONG);
            Errors.check(wasmtime_context_get_fuel(context(), out), "cannot read fuel");
            return out.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /**
     * Linear memory the store's guests hold, summed over their memories. Memories never shrink, so
     * this is also the most they held.
     *
     * @return bytes
     */
    public long memoryBytes() {
        context();
        return memoryHeld.get(ValueLayout.JAVA_LONG, 0);
    }

    /**
     * What the store's outgoing HTTP requests sent.
     *
     * @return the bytes sent and whether {@link StoreConfig#httpByteLimit} refused a request; zero
     *     and false when the store has no wasi:http
     */
    public HttpEgressUsage httpEgressUsage() {
        MemorySegment ctx = context();
        if (!http) {
            return new HttpEgressUsage(0, false);
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment reached = tmp.allocate(ValueLayout.JAVA_BOOLEAN);
            long bytes = wassette_context_http_egress_bytes(ctx, reached);
            return new HttpEgressUsage(bytes, reached.get(ValueLayout.JAVA_BOOLEAN, 0));
        }
    }

    /**
     * Outgoing HTTP traffic of a store.
     *
     * @param bytesSent request lines, headers and bodies sent
     * @param byteLimitReached whether the byte limit refused a request
     */
    public record HttpEgressUsage(long bytesSent, boolean byteLimitReached) {
    }

    /**
     * The engine this store belongs to.
     *
     * @return the engine
     */
    public Engine engine() {
        return engine;
    }

    /** Whether the store limits its guests' memory. */
    boolean memoryLimited() {
        return memoryLimited;
    }

    MemorySegment context() {
        if (closed) {
            throw new IllegalStateException("store is closed");
        }
        return context;
    }

    Arena arena() {
        return arena;
    }

    private MemorySegment scratch;

    /** Reusable memory for marshalling call arguments; its contents are dead after each call. */
    MemorySegment scratch() {
        if (scratch == null) {
            scratch = arena.allocate(SCRATCH_BYTES, 16);
        }
        return scratch;
    }

    /** Keeps a resource handle read from a guest value alive until the store closes. */
    Val adopt(MemorySegment resourceAny) {
        MemorySegment owned = wasmtime_component_resource_any_clone(resourceAny);
        resources.add(owned);
        return new Val.ResourceVal(owned.address(), wasmtime_component_resource_any_owned(owned));
    }

    /**
     * On a pooled engine, takes a slot for one more instance, waiting while all are in use, until
     * this store's deadline passes or its call is cancelled (a {@link TrapException} of that kind).
     */
    void admitInstance() {
        Semaphore slots = engine.instanceSlotPermits();
        if (slots == null) {
            return;
        }
        try {
            while (!slots.tryAcquire(SLOT_WAIT_POLL.toNanos(), TimeUnit.NANOSECONDS)) {
                DeadlineWatch.Stop stop = watch == null ? null : watch.stop();
                if (stop != null) {
                    throw new TrapException(stop.kind() == dev.wassette.ffi.Wasmtime.WASSETTE_ERROR_CANCELLED() ? TrapException.Kind.CANCELLED
                            : TrapException.Kind.TIMEOUT, stop.message() + " while waiting for one of the engine's "
                            + engine.instanceSlots() + " instance slots", List.of());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WasmtimeException("interrupted while waiting for an instance slot");
        }
        instanceSlotsHeld++;
    }

    /** How often a store waiting for an instance slot checks its deadline and cancellation. */
    private static final Duration SLOT_WAIT_POLL = Duration.ofMillis(20);

    /**
     * Flushes the guest's buffered output and frees the store, its instances and resource handles.
     * Idempotent; on the store's thread only.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ticked) {
            engine.ticksNotNeeded();
        }
        for (GuestOutput o : outputs) {
            o.flush();
        }
        if (handle != null && !handle.equals(MemorySegment.NULL)) {
            for (MemorySegment r : resources) {
                wasmtime_component_resource_any_delete(r);
            }
            if (http) {
                wassette_context_clear_http_egress_check(context);
            }
            wasmtime_store_delete(handle);
        }
        // After the delete: the instances' slots are free in the pool again.
        if (instanceSlotsHeld > 0) {
            engine.instanceSlotPermits().release(instanceSlotsHeld);
            instanceSlotsHeld = 0;
        }
        // Only after the store is gone can no native code call back with these ids.
        for (MemorySegment env : upcallTargets) {
            Upcalls.unregister(env);
        }
        arena.close();
    }
}

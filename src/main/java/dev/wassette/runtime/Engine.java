package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;

/**
 * A Wasmtime engine: compiler configuration and the code it produced. Thread-safe; share one per
 * process. With epoch interruption on, a background ticker advances the engine's epoch every
 * {@link Builder#epochTick tick}, which is what enforces per-call wall-clock deadlines.
 *
 * <p>An engine owns a native Wasmtime engine and, with epoch interruption, a daemon ticker thread:
 * whoever creates it closes it, after the components, stores and linkers made with it.
 */
public final class Engine implements AutoCloseable {
    /** Resolved lazily, after the library is loaded. Declared {@code f()} in C, so jextract makes it variadic. */
    private static final class PoolingConfig {
        static final wasmtime_pooling_allocation_config_new NEW = wasmtime_pooling_allocation_config_new.makeInvoker();
    }
    /** The largest 32-bit linear memory: a pool slot of this size limits no 32-bit component. */
    public static final long MAX_32BIT_MEMORY_BYTES = 4L << 30;
    /** Per component instance, what the pooling allocator reserves room for. */
    private static final int CORE_INSTANCES_PER_COMPONENT = 16;
    private static final int MEMORIES_PER_COMPONENT = 4;
    private static final int TABLES_PER_COMPONENT = 4;
    private static final long TABLE_ELEMENTS = 100_000;
    private static final long CORE_INSTANCE_BYTES = 16L << 20;
    private final MemorySegment handle;
    /** With the pooling allocator: one permit per component instance its pool has room for; else null. */
    private final Semaphore instanceSlots;
    private final int instanceSlotCount;
    private final boolean epochInterruption;
    private final boolean consumeFuel;
    private final Duration epochTick;
    private final Thread ticker;
    /** Stores whose deadline or cancellation needs epoch ticks; with none, the ticker sleeps. */
    private final java.util.concurrent.atomic.AtomicInteger tickedStores = new java.util.concurrent.atomic.AtomicInteger();
    /** The ticker is parked (or about to park) until a store needs ticks. */
    private volatile boolean sleeping;
    private volatile boolean closed;

    private Engine(Builder b) {
        NativeLibrary.load();
        MemorySegment config = wasm_config_new();
        wasmtime_config_wasm_component_model_set(config, true);
        wasmtime_config_epoch_interruption_set(config, b.epochInterruption);
        wasmtime_config_consume_fuel_set(config, b.consumeFuel);
        wasmtime_config_parallel_compilation_set(config, b.parallelCompilation);
        if (b.maxWasmStack > 0) {
            wasmtime_config_max_wasm_stack_set(config, b.maxWasmStack);
        }
        if (b.poolingAllocator) {
            MemorySegment pooling = PoolingConfig.NEW.apply();
            // Room for real components, not only for the smallest: one made by wit-component has a
            // few core instances, a memory and tables each for the program and its WASI adapter, and
            // a JavaScript one (StarlingMonkey) a table of tens of thousands of functions and a large
            // vmctx. All of it is reserved address space, committed only as instances use it.
            int slots = b.poolingInstances;
            wasmtime_pooling_allocation_config_total_component_instances_set(pooling, slots);
            wasmtime_pooling_allocation_config_total_core_instances_set(pooling, slots * CORE_INSTANCES_PER_COMPONENT);
            wasmtime_pooling_allocation_config_total_memories_set(pooling, slots * MEMORIES_PER_COMPONENT);
            wasmtime_pooling_allocation_config_total_tables_set(pooling, slots * TABLES_PER_COMPONENT);
            wasmtime_pooling_allocation_config_total_stacks_set(pooling, slots);
            wasmtime_pooling_allocation_config_max_memory_size_set(pooling, b.poolingMaxMemoryBytes);
            wasmtime_pooling_allocation_config_table_elements_set(pooling, TABLE_ELEMENTS);
            wasmtime_pooling_allocation_config_max_core_instance_size_set(pooling, CORE_INSTANCE_BYTES);
            wasmtime_pooling_allocation_config_max_component_instance_size_set(pooling, CORE_INSTANCE_BYTES);
            wasmtime_pooling_allocation_strategy_set(config, pooling);
            wasmtime_pooling_allocation_config_delete(pooling);
        }
        if (b.cacheDirectory != null) {
            enableCache(config, b.cacheDirectory);
        }
        this.handle = wasm_engine_new_with_config(config); // takes ownership of config
        if (handle.equals(MemorySegment.NULL)) {
            throw new WasmtimeException("Wasmtime could not create an engine with this configuration");
        }
        this.instanceSlots = b.poolingAllocator ? new Semaphore(b.poolingInstances) : null;
        this.instanceSlotCount = b.poolingInstances;
        this.epochInterruption = b.epochInterruption;
        this.consumeFuel = b.consumeFuel;
        this.epochTick = b.epochTick;
        if (epochInterruption) {
            ticker = Thread.ofPlatform().daemon().name("wassette-epoch-ticker").unstarted(this::tick);
            ticker.start();
        } else {
            ticker = null;
        }
    }

    private static void enableCache(MemorySegment config, Path directory) {
        try {
            Files.createDirectories(directory);
            Path toml = directory.resolve("wasmtime-cache.toml");
            String escaped = directory.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"");
            String content = "[cache]\ndirectory = \"" + escaped + "\"\n";
            // Shared by every engine of the user (daemons and servers starting at the same time): written
            // whole under another name and renamed, so that no reader ever sees it half-written.
            if (!Files.isRegularFile(toml) || !content.equals(Files.readString(toml))) {
                Path written = Files.createTempFile(directory, "wasmtime-cache-", ".toml");
                try {
                    Files.writeString(written, content);
                    Files.move(written, toml, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(written);
                }
            }
            try (Arena arena = Arena.ofConfined()) {
                Errors.check(wasmtime_config_cache_config_load(config, arena.allocateFrom(toml.toString())),
                        "enabling the compilation cache in " + directory);
            }
        } catch (IOException e) {
            throw new WasmtimeException("cannot use compilation cache directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Advances the epoch every tick while some store needs it, and for a second after the last one
     * closed; then it sleeps until a store needs it again. An idle server (the per-user daemon waits
     * for sessions for minutes) is not woken 100 times a second, and a server answering calls does not
     * pay a thread wake-up per call. Deadlines are set relative to the epoch when a call starts, so
     * pausing between calls changes none.
     */
    private void tick() {
        long nanos = epochTick.toNanos();
        long idleTicks = 0;
        long idleTicksBeforeSleep = Math.max(1, Duration.ofSeconds(1).toNanos() / nanos);
        while (!closed) {
            if (tickedStores.get() == 0 && ++idleTicks > idleTicksBeforeSleep) {
                sleeping = true;
                if (tickedStores.get() == 0) { // a store that arrived after the flag was set unparks us
                    java.util.concurrent.locks.LockSupport.park(this);
                }
                sleeping = false;
                idleTicks = 0;
                continue;
            }
            if (tickedStores.get() != 0) {
                idleTicks = 0;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(nanos);
            if (!closed) {
                wasmtime_engine_increment_epoch(handle);
            }
        }
    }

    /** A store with a deadline or a cancellation exists: the epoch must advance until {@link #ticksNotNeeded}. */
    void ticksNeeded() {
        if (ticker != null && tickedStores.getAndIncrement() == 0 && sleeping) {
            java.util.concurrent.locks.LockSupport.unpark(ticker);
        }
    }

    void ticksNotNeeded() {
        if (ticker != null) {
            tickedStores.decrementAndGet();
        }
    }

    /**
     * A builder with the defaults described on {@link Builder}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * An engine with epoch interruption (10 ms ticks) and fuel metering on.
     *
     * @return a new engine, to be closed by the caller
     * @throws WasmtimeException if Wasmtime cannot create the engine
     */
    public static Engine create() {
        return builder().build();
    }

    /**
     * Whether epoch interruption is on (needed for call deadlines and cancellation).
     *
     * @return true if it is on
     */
    public boolean epochInterruption() {
        return epochInterruption;
    }

    /**
     * Whether fuel metering is on (needed for fuel limits on stores).
     *
     * @return true if it is on
     */
    public boolean consumeFuel() {
        return consumeFuel;
    }

    /**
     * The interval at which the ticker advances the epoch: the granularity of deadlines.
     *
     * @return the tick interval
     */
    public Duration epochTick() {
        return epochTick;
    }

    /**
     * The component instances that can exist at once (the pooling allocator's slots), or 0 when
     * instances are allocated on demand, without a bound.
     *
     * @return the number of slots, or 0
     */
    public int instanceSlots() {
        return instanceSlots == null ? 0 : instanceSlotCount;
    }

    /** The pool's permits: a store takes one per instance it makes and gives them back as it closes; null without a pool. */
    Semaphore instanceSlotPermits() {
        return instanceSlots;
    }

    /** Epoch ticks that cover {@code timeout} (at least one). */
    long ticksFor(Duration timeout) {
        long ticks = timeout.toNanos() / epochTick.toNanos();
        return Math.max(1, ticks + (timeout.toNanos() % epochTick.toNanos() == 0 ? 0 : 1));
    }

    /**
     * Compiles a component from its binary or text (WAT) form.
     *
     * @param bytes the component binary or WAT text
     * @return the compiled component, to be closed by the caller
     * @throws WasmtimeException if the bytes are not a valid component
     */
    public Component compile(byte[] bytes) {
        return Component.compile(this, bytes);
    }

    /**
     * Compiles a component file, binary or text.
     *
     * @param file the component file
     * @return the compiled component, to be closed by the caller
     * @throws IOException if the file cannot be read
     * @throws WasmtimeException if the file is not a valid component
     */
    public Component compile(Path file) throws IOException {
        return Component.compile(this, Files.readAllBytes(file));
    }

    /**
     * Loads a component precompiled by {@link Component#serialize()} with a compatible engine.
     * Precompiled code is trusted: load only bytes this process (or one like it) produced.
     *
     * @param precompiled the serialized component
     * @return the component, to be closed by the caller
     * @throws WasmtimeException if the bytes are not compatible precompiled code
     */
    public Component deserialize(byte[] precompiled) {
        return Component.deserialize(this, precompiled);
    }

    /**
     * Loads precompiled code from a file by mapping it: the code is not copied into the heap, and
     * its pages are shared with the page cache. The file must not be modified in place while the
     * component lives (replace it by renaming a new file over it).
     *
     * @param precompiled the file written from {@link Component#serialize()}
     * @return the component, to be closed by the caller
     * @throws WasmtimeException if the file cannot be loaded as compatible precompiled code
     */
    public Component deserializeFile(Path precompiled) {
        return Component.deserializeFile(this, precompiled);
    }

    MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("engine is closed");
        }
        return handle;
    }

    /**
     * Stops the ticker thread and frees the native engine. Idempotent. Close the components, stores
     * and linkers made with this engine first.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ticker != null) {
            ticker.interrupt();
            java.util.concurrent.locks.LockSupport.unpark(ticker);
            try {
                ticker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        wasm_engine_delete(handle);
    }

    /**
     * Engine settings. Defaults: epoch interruption with 10 ms ticks, fuel metering, parallel
     * compilation, no pooling, no cache. Not thread-safe; each {@link #build()} makes a new engine.
     */
    public static final class Builder {
        private boolean epochInterruption = true;
        private Duration epochTick = Duration.ofMillis(10);
        private boolean consumeFuel = true;
        private boolean parallelCompilation = true;
        private boolean poolingAllocator;
        private int poolingInstances = 100;
        private long poolingMaxMemoryBytes = 256L << 20;
        private long maxWasmStack;
        private Path cacheDirectory;

        private Builder() {}

        /**
         * Turns epoch interruption (and its ticker thread) on or off; off disables deadlines and
         * cancellation of running calls.
         *
         * @param on whether to interrupt on epochs
         * @return this builder
         */
        public Builder epochInterruption(boolean on) {
            this.epochInterruption = on;
            return this;
        }

        /**
         * Sets how often the epoch advances.
         *
         * @param tick the interval, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code tick} is zero or negative
         */
        public Builder epochTick(Duration tick) {
            if (tick.isNegative() || tick.isZero()) {
                throw new IllegalArgumentException("epoch tick must be positive");
            }
            this.epochTick = tick;
            return this;
        }

        /**
         * Turns fuel metering on or off.
         *
         * @param on whether guests consume fuel
         * @return this builder
         */
        public Builder consumeFuel(boolean on) {
            this.consumeFuel = on;
            return this;
        }

        /**
         * Lets Wasmtime compile a component's functions on several threads.
         *
         * @param on whether to compile in parallel
         * @return this builder
         */
        public Builder parallelCompilation(boolean on) {
            this.parallelCompilation = on;
            return this;
        }

        /**
         * Pre-allocates instance slots (Wasmtime's pooling allocator): instantiating and dropping an
         * instance then reuse a slot instead of mapping and unmapping its memory, several times
         * cheaper, at the price of address space reserved up front. At most {@code maxInstances}
         * component instances exist at once: a store that makes one more waits for a slot
         * ({@link InstancePre#instantiate}), until its deadline or cancellation.
         *
         * @param maxInstances the number of component instances that can exist at once
         * @param maxMemoryBytes the largest linear memory of an instance, in bytes (4 GiB: any 32-bit memory)
         * @return this builder
         */
        public Builder poolingAllocator(int maxInstances, long maxMemoryBytes) {
            this.poolingAllocator = true;
            this.poolingInstances = maxInstances;
            this.poolingMaxMemoryBytes = maxMemoryBytes;
            return this;
        }

        /**
         * Largest wasm stack in bytes (Wasmtime's default is 512 KiB).
         *
         * @param bytes the stack size; zero or less keeps the default
         * @return this builder
         */
        public Builder maxWasmStack(long bytes) {
            this.maxWasmStack = bytes;
            return this;
        }

        /**
         * Caches compiled code in this directory across runs (Wasmtime's cache).
         *
         * @param directory the cache directory, created if absent
         * @return this builder
         */
        public Builder cacheDirectory(Path directory) {
            this.cacheDirectory = Objects.requireNonNull(directory);
            return this;
        }

        /**
         * Creates the engine.
         *
         * @return a new engine, to be closed by the caller
         * @throws WasmtimeException if Wasmtime rejects the configuration or the cache directory
         *     cannot be used
         */
        public Engine build() {
            return new Engine(this);
        }
    }
}

package dev.wassette.cli;

import dev.wassette.runtime.Engine;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The engine the CLI uses: epoch deadlines, fuel, Wasmtime's compile cache under the user's cache
 * dir, and the pooling allocator.
 */
final class Engines {
    /** An engine being created ahead of time for the next {@link #create()}, if {@link #startCreating()} was called. */
    private static final AtomicReference<FutureTask<Engine>> AHEAD = new AtomicReference<>();

    private Engines() {}

    /**
     * Starts creating the engine on another thread, for a command that will call {@link #create()}
     * soon: loading the native library and linking the first native functions (the JVM's foreign
     * linker spins code for each new signature) take a large share of a server's start-up, and can
     * overlap with building the command line and reading the config. Failures are not reported here:
     * {@link #create()} throws them, as it would have.
     */
    static void startCreating() {
        FutureTask<Engine> task = new FutureTask<>(Engines::build);
        if (AHEAD.compareAndSet(null, task)) {
            Thread.ofPlatform().name("wassette-engine-init").daemon().start(task);
        }
    }

    /** A new engine (the one started ahead, the first time after {@link #startCreating()}). */
    static Engine create() {
        FutureTask<Engine> task = AHEAD.getAndSet(null);
        if (task == null) {
            return build();
        }
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the engine was being created", e);
        }
    }

    /**
     * Component instances that can exist at once: one per tool call running. A call beyond them
     * waits for one to end. The pool makes a call's instantiation and teardown reuse a slot instead
     * of mapping and unmapping memory, which on a busy server also contend for the process's
     * address-space lock (bench/README.md, U).
     */
    static final int INSTANCE_SLOTS = 128;

    private static Engine build() {
        Path cache = dev.wassette.host.Paths.cacheDirectory().resolve("wasmtime");
        return Engine.builder().cacheDirectory(cache).poolingAllocator(INSTANCE_SLOTS, Engine.MAX_32BIT_MEMORY_BYTES).build();
    }
}

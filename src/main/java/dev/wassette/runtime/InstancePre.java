package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import java.lang.foreign.MemorySegment;

/**
 * A component with its imports resolved: instantiating it skips linking and type checks, which is
 * what makes a fresh instance per call cheap. Thread-safe.
 *
 * <p>It owns a native handle: whoever got it from {@link Linker#instantiatePre} closes it, after
 * the last instantiation and before the engine.
 */
public final class InstancePre implements AutoCloseable {
    private final Component component;
    private final MemorySegment handle;
    private volatile boolean closed;

    InstancePre(Component component, MemorySegment handle) {
        this.component = component;
        this.handle = handle;
    }

    /**
     * The linked component.
     *
     * @return the component
     */
    public Component component() {
        return component;
    }

    /**
     * A new instance in {@code store}. On an engine with the pooling allocator this first waits for a
     * free instance slot (see {@link Engine.Builder#poolingAllocator}).
     *
     * @param store the store the instance lives in
     * @return the instance, valid while {@code store} is open
     * @throws TrapException when a limit, the deadline or a cancellation stopped the instantiation
     * @throws WasmtimeException when it failed otherwise (a trap in the component's start code)
     */
    public Instance instantiate(Store store) {
        if (closed) {
            throw new IllegalStateException("pre-instantiated component is closed");
        }
        store.admitInstance();
        MemorySegment instance = store.arena().allocate(dev.wassette.ffi.wasmtime_component_instance.layout());
        MemorySegment error = wassette_component_instance_pre_instantiate(handle, store.context(), instance);
        if (!error.equals(MemorySegment.NULL)) {
            throw Errors.instantiationFailure(error, store.memoryLimited());
        }
        return new Instance(store, component, instance);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            wassette_component_instance_pre_delete(handle);
        }
    }
}

package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Resolves a component's imports: WASI preview 2, {@code wasi:http} behind the egress check, and
 * interfaces implemented in Java. Define everything first, then pre-instantiate; not thread-safe
 * while being defined.
 *
 * <p>A linker owns a native Wasmtime linker: whoever creates it closes it, before the engine. The
 * {@link InstancePre}s it made stay usable after it is closed.
 */
public final class Linker implements AutoCloseable {
    private final Engine engine;
    private final MemorySegment handle;
    private final List<MemorySegment> hostTargets = new ArrayList<>();
    private boolean closed;

    /**
     * An empty linker.
     *
     * @param engine the engine of the components it will link; it must stay open while the linker lives
     */
    public Linker(Engine engine) {
        this.engine = engine;
        this.handle = wasmtime_component_linker_new(engine.handle());
    }

    /**
     * Adds {@code wasi:cli}, {@code wasi:filesystem}, {@code wasi:sockets}, ... (preview 2, sync).
     *
     * @return this linker
     * @throws WasmtimeException if Wasmtime cannot add them (e.g. already defined)
     */
    public Linker addWasip2() {
        Errors.check(wasmtime_component_linker_add_wasip2(handle()), "cannot add WASI preview 2");
        return this;
    }

    /**
     * Adds {@code wasi:http/outgoing-handler} and {@code wasi:http/types}, every request checked per store.
     *
     * @return this linker
     * @throws WasmtimeException if Wasmtime cannot add them
     */
    public Linker addWasiHttp() {
        Errors.check(wassette_component_linker_add_wasi_http(handle()), "cannot add wasi:http");
        return this;
    }

    /**
     * Defines an imported interface (e.g. {@code wassette:host/log@0.1.0}) with Java functions, or
     * world-level functions when {@code interfaceName} is null.
     *
     * @param interfaceName the imported interface's name, or null for world-level functions
     * @param functions the functions, by name within the interface
     * @return this linker
     * @throws WasmtimeException if a name is already defined or cannot be defined
     */
    public Linker defineInterface(String interfaceName, Map<String, HostFunction> functions) {
        MemorySegment root = wasmtime_component_linker_root(handle());
        MemorySegment target = root;
        try (Arena arena = Arena.ofConfined()) {
            if (interfaceName != null) {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                byte[] name = interfaceName.getBytes(StandardCharsets.UTF_8);
                Errors.check(wasmtime_component_linker_instance_add_instance(root,
                        arena.allocateFrom(ValueLayout.JAVA_BYTE, name), name.length, out),
                        "cannot define interface " + interfaceName);
                target = out.get(ValueLayout.ADDRESS, 0);
            }
            for (Map.Entry<String, HostFunction> f : functions.entrySet()) {
                String qualified = interfaceName == null ? f.getKey() : interfaceName + "#" + f.getKey();
                MemorySegment env = Upcalls.register(new HostFunctions.Binding(qualified, f.getValue()));
                byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
                MemorySegment err = wasmtime_component_linker_instance_add_func(target,
                        arena.allocateFrom(ValueLayout.JAVA_BYTE, name), name.length,
                        Upcalls.hostFunctionStub(), env, Upcalls.releaseStub());
                if (!err.equals(MemorySegment.NULL)) {
                    Upcalls.unregister(env);
                    Errors.check(err, "cannot define host function " + qualified);
                }
                hostTargets.add(env);
            }
        } finally {
            if (target != root) {
                wasmtime_component_linker_instance_delete(target);
            }
            wasmtime_component_linker_instance_delete(root);
        }
        return this;
    }

    /**
     * Imports nothing defined here resolves to functions that trap when called.
     *
     * @param component the component whose remaining imports to define
     * @return this linker
     * @throws WasmtimeException if Wasmtime cannot define them
     */
    public Linker defineUnknownImportsAsTraps(Component component) {
        Errors.check(wasmtime_component_linker_define_unknown_imports_as_traps(handle(), component.handle()),
                "cannot define unknown imports");
        return this;
    }

    /**
     * Resolves and type-checks the component's imports once; instantiate the result many times.
     *
     * @param component the component to link
     * @return the linked component, to be closed by the caller
     * @throws WasmtimeException if an import is missing or has the wrong type
     */
    public InstancePre instantiatePre(Component component) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Errors.check(wassette_component_instance_pre_new(handle(), component.handle(), out),
                    "cannot link component");
            return new InstancePre(component, out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /**
     * Instantiates directly (resolving imports each time).
     *
     * @param store the store the instance lives in
     * @param component the component to instantiate
     * @return the instance, valid while {@code store} is open
     * @throws TrapException when a limit or a cancellation stopped the instantiation
     * @throws WasmtimeException when linking or instantiation failed otherwise
     */
    public Instance instantiate(Store store, Component component) {
        MemorySegment instance = store.arena().allocate(dev.wassette.ffi.wasmtime_component_instance.layout());
        MemorySegment error = wasmtime_component_linker_instantiate(handle(), store.context(), component.handle(), instance);
        if (!error.equals(MemorySegment.NULL)) {
            throw Errors.instantiationFailure(error, store.memoryLimited());
        }
        return new Instance(store, component, instance);
    }

    /**
     * The engine this linker belongs to.
     *
     * @return the engine
     */
    public Engine engine() {
        return engine;
    }

    MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("linker is closed");
        }
        return handle;
    }

    /** Host functions stay registered until Wasmtime drops them (its finalizer unregisters them). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wasmtime_component_linker_delete(handle);
    }
}

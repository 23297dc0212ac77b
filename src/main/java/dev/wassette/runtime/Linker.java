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
 */
public final class Linker implements AutoCloseable {
    private final Engine engine;
    private final MemorySegment handle;
    private final List<MemorySegment> hostTargets = new ArrayList<>();
    private boolean closed;

    public Linker(Engine engine) {
        this.engine = engine;
        this.handle = wasmtime_component_linker_new(engine.handle());
    }

    /** Adds {@code wasi:cli}, {@code wasi:filesystem}, {@code wasi:sockets}, ... (preview 2, sync). */
    public Linker addWasip2() {
        Errors.check(wasmtime_component_linker_add_wasip2(handle()), "cannot add WASI preview 2");
        return this;
    }

    /** Adds {@code wasi:http/outgoing-handler} and {@code wasi:http/types}, every request checked per store. */
    public Linker addWasiHttp() {
        Errors.check(wassette_component_linker_add_wasi_http(handle()), "cannot add wasi:http");
        return this;
    }

    /**
     * Defines an imported interface (e.g. {@code wassette:host/log@0.1.0}) with Java functions, or
     * world-level functions when {@code interfaceName} is null.
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
                        Upcalls.HOST_FUNCTION, env, Upcalls.RELEASE);
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

    /** Imports nothing defined here resolves to functions that trap when called. */
    public Linker defineUnknownImportsAsTraps(Component component) {
        Errors.check(wasmtime_component_linker_define_unknown_imports_as_traps(handle(), component.handle()),
                "cannot define unknown imports");
        return this;
    }

    /** Resolves and type-checks the component's imports once; instantiate the result many times. */
    public InstancePre instantiatePre(Component component) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Errors.check(wassette_component_instance_pre_new(handle(), component.handle(), out),
                    "cannot link component");
            return new InstancePre(component, out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /** Instantiates directly (resolving imports each time). */
    public Instance instantiate(Store store, Component component) {
        MemorySegment instance = store.arena().allocate(dev.wassette.ffi.wasmtime_component_instance.layout());
        MemorySegment error = wasmtime_component_linker_instantiate(handle(), store.context(), component.handle(), instance);
        if (!error.equals(MemorySegment.NULL)) {
            throw Errors.instantiationFailure(error, store.memoryLimited());
        }
        return new Instance(store, component, instance);
    }

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

package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasmtime_component_func;
import dev.wassette.ffi.wasmtime_component_val;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Arrays;
import java.util.List;

/**
 * An instantiated component, living in its {@link Store}: valid until the store is closed, and
 * confined to the store's thread. Not closed itself; closing the store frees it.
 */
public final class Instance {
    private static final long VAL_SIZE = wasmtime_component_val.sizeof();
    /** First overflow chunk when arguments outgrow the store's scratch memory. */
    private static final long OVERFLOW_CHUNK = 64 * 1024;

    private final Store store;
    private final Component component;
    private final MemorySegment instance;
    /** Resolved functions of this instance, by qualified name (store memory, lives as long as the store). */
    private final java.util.Map<String, MemorySegment> funcs = new java.util.HashMap<>();

    Instance(Store store, Component component, MemorySegment instance) {
        this.store = store;
        this.component = component;
        this.instance = instance;
    }

    /**
     * The component this is an instance of.
     *
     * @return the component
     */
    public Component component() {
        return component;
    }

    /**
     * Calls an exported function by {@code name} or {@code interface#name}. Returns the result, or
     * null for a function without one.
     *
     * @param qualifiedName {@code name} or {@code interface#name}
     * @param args the arguments
     * @return the result, or null for a function without one
     * @throws TrapException when the guest traps, hits a limit, or a host function fails
     * @throws WasmtimeException when there is no such function or the arguments do not fit its type
     */
    public Val call(String qualifiedName, Val... args) {
        ExportedFunction function = component.export(qualifiedName);
        if (function == null) {
            throw new WasmtimeException("component exports no function " + qualifiedName);
        }
        return call(function, Arrays.asList(args));
    }

    /**
     * Calls an exported function of this instance's component.
     *
     * @param function the function, from {@link Component#exports()} or {@link Component#export}
     * @param args the arguments, one per parameter
     * @return the result, or null for a function without one
     * @throws TrapException when the guest traps, hits a limit, or a host function fails
     * @throws WasmtimeException when the arguments do not fit the function's type
     */
    public Val call(ExportedFunction function, List<Val> args) {
        if (args.size() != function.type().params().size()) {
            throw new WasmtimeException(function.qualifiedName() + " takes " + function.type().params().size()
                    + " arguments, got " + args.size());
        }
        MemorySegment context = store.context();
        MemorySegment func = funcs.get(function.qualifiedName());
        if (func == null) {
            func = wasmtime_component_func.allocate(store.arena());
            if (!wasmtime_component_instance_get_func(instance, context, component.exportIndex(function), func)) {
                throw new WasmtimeException("export " + function.qualifiedName() + " is not a function");
            }
            funcs.put(function.qualifiedName(), func);
        }
        // Arguments are marshalled into the store's scratch memory (no allocation per call); what
        // does not fit goes to chunks freed after the call.
        try (ScratchAllocator alloc = new ScratchAllocator(store.scratch(), OVERFLOW_CHUNK)) {
            MemorySegment[] marshalled = marshal(function, args, alloc);
            MemorySegment argArray = marshalled[0];
            MemorySegment results = marshalled[1];
            int nresults = results.equals(MemorySegment.NULL) ? 0 : 1;
            store.setDeadline();
            MemorySegment err = wasmtime_component_func_call(func, context, argArray, args.size(), results, nresults);
            if (!err.equals(MemorySegment.NULL)) {
                throw Errors.toTrap(err, function.qualifiedName());
            }
            if (nresults == 0) {
                return null;
            }
            try {
                return ValueMarshaller.read(results, store::adopt);
            } finally {
                wasmtime_component_val_delete(results);
            }
        }
    }

    /** {argument array, result slot (NULL without a result)}. */
    private static MemorySegment[] marshal(ExportedFunction function, List<Val> args, SegmentAllocator alloc) {
        MemorySegment argArray = args.isEmpty() ? MemorySegment.NULL : alloc.allocate(VAL_SIZE * args.size(), 8);
        for (int i = 0; i < args.size(); i++) {
            ValueMarshaller.write(args.get(i), argArray.asSlice(VAL_SIZE * i, VAL_SIZE), alloc);
        }
        MemorySegment results = function.type().result() == null ? MemorySegment.NULL : alloc.allocate(VAL_SIZE, 8);
        if (!results.equals(MemorySegment.NULL)) {
            // Wasmtime assigns into the slot, dropping what it holds: it must be a value that owns
            // nothing (all zero = bool false), never stale bytes from reused scratch memory.
            results.fill((byte) 0);
        }
        return new MemorySegment[] {argArray, results};
    }
}

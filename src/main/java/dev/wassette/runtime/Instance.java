package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasmtime_component_func;
import dev.wassette.ffi.wasmtime_component_val;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/** An instantiated component, living in its {@link Store}. */
public final class Instance {
    private static final long VAL_SIZE = wasmtime_component_val.sizeof();

    private final Store store;
    private final Component component;
    private final MemorySegment instance;

    Instance(Store store, Component component, MemorySegment instance) {
        this.store = store;
        this.component = component;
        this.instance = instance;
    }

    public Component component() {
        return component;
    }

    /**
     * Calls an exported function by {@code name} or {@code interface#name}. Returns the result, or
     * null for a function without one.
     *
     * @throws TrapException when the guest traps, hits a limit, or a host function fails
     */
    public Val call(String qualifiedName, Val... args) {
        ExportedFunction function = component.export(qualifiedName);
        if (function == null) {
            throw new WasmtimeException("component exports no function " + qualifiedName);
        }
        return call(function, Arrays.asList(args));
    }

    public Val call(ExportedFunction function, List<Val> args) {
        if (args.size() != function.type().params().size()) {
            throw new WasmtimeException(function.qualifiedName() + " takes " + function.type().params().size()
                    + " arguments, got " + args.size());
        }
        MemorySegment context = store.context();
        MemorySegment index = component.exportIndex(function);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment func = wasmtime_component_func.allocate(arena);
            if (!wasmtime_component_instance_get_func(instance, context, index, func)) {
                throw new WasmtimeException("export " + function.qualifiedName() + " is not a function");
            }
            MemorySegment argArray = args.isEmpty() ? MemorySegment.NULL : arena.allocate(VAL_SIZE * args.size(), 8);
            for (int i = 0; i < args.size(); i++) {
                ValueMarshaller.write(args.get(i), argArray.asSlice(VAL_SIZE * i, VAL_SIZE), arena);
            }
            int nresults = function.type().result() == null ? 0 : 1;
            MemorySegment results = nresults == 0 ? MemorySegment.NULL : arena.allocate(VAL_SIZE, 8);
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
}

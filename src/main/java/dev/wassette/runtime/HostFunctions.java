package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasmtime_component_val;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Marshalling for Java host functions called from guests (see {@link Upcalls#HOST_FUNCTION}). */
final class HostFunctions {
    private static final long VAL_SIZE = wasmtime_component_val.sizeof();

    private HostFunctions() {}

    /** One defined function: what the env id of its native registration refers to. */
    record Binding(String name, HostFunction function) {
        MemorySegment invoke(MemorySegment args, long nargs, MemorySegment results, long nresults) {
            MemorySegment argArray = args.reinterpret(nargs * VAL_SIZE);
            List<Val> values = new ArrayList<>((int) nargs);
            for (long i = 0; i < nargs; i++) {
                values.add(ValueMarshaller.read(argArray.asSlice(i * VAL_SIZE, VAL_SIZE), ValueMarshaller.ResourceSink.REJECT));
            }
            Val result;
            try {
                result = function.call(values);
            } catch (Exception e) {
                return Errors.hostFunctionFailed(name + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            if (nresults == 0) {
                return MemorySegment.NULL;
            }
            if (result == null) {
                return Errors.hostFunctionFailed(name + ": returned no value but the import has a result");
            }
            MemorySegment resultArray = results.reinterpret(nresults * VAL_SIZE);
            try (ScratchAllocator alloc = new ScratchAllocator(MemorySegment.NULL, 4096)) {
                MemorySegment tmp = alloc.allocate(VAL_SIZE, 8);
                ValueMarshaller.write(result, tmp, alloc);
                // Wasmtime frees the result slot with its own allocator: hand it a deep copy it owns.
                wasmtime_component_val_clone(tmp, resultArray.asSlice(0, VAL_SIZE));
            }
            return MemorySegment.NULL;
        }
    }
}

package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasm_byte_vec_t;
import dev.wassette.ffi.wasmtime_extern;
import dev.wassette.ffi.wasmtime_extern_union;
import dev.wassette.ffi.wasmtime_func;
import dev.wassette.ffi.wasmtime_instance;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A compiled core WebAssembly module (not a component), for embedders with plain wasm and for
 * measuring the raw cost of a call through FFM. Instances take no imports.
 *
 * <p>It owns a native module: whoever compiled it closes it, before the engine.
 */
public final class CoreModule implements AutoCloseable {
    private final MemorySegment handle;
    private volatile boolean closed;

    private CoreModule(MemorySegment handle) {
        this.handle = handle;
    }

    /**
     * Compiles a binary module or its text form.
     *
     * @param engine the engine to compile with
     * @param wasmOrWat the module binary or WAT text
     * @return the module, to be closed by the caller
     * @throws WasmtimeException if it does not parse or compile
     */
    public static CoreModule compile(Engine engine, byte[] wasmOrWat) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] wasm = WasmText.isBinary(wasmOrWat) ? wasmOrWat : WasmText.toBinary(wasmOrWat);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Errors.check(wasmtime_module_new(engine.handle(), arena.allocateFrom(ValueLayout.JAVA_BYTE, wasm), wasm.length, out),
                    "cannot compile module");
            return new CoreModule(out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /**
     * Instantiates the module (which must have no imports) in {@code store}.
     *
     * @param store the store the instance lives in
     * @return the instance, valid while {@code store} is open
     * @throws TrapException if the start function traps
     * @throws WasmtimeException if instantiation fails otherwise
     */
    public Instance instantiate(Store store) {
        if (closed) {
            throw new IllegalStateException("module is closed");
        }
        MemorySegment instance = store.arena().allocate(wasmtime_instance.layout());
        MemorySegment trap = store.arena().allocate(ValueLayout.ADDRESS);
        MemorySegment err = wasmtime_instance_new(store.context(), handle, MemorySegment.NULL, 0, instance, trap);
        Errors.check(err, "cannot instantiate module");
        checkTrap(trap, "instantiation");
        return new Instance(store, instance);
    }

    static void checkTrap(MemorySegment trapOut, String what) {
        MemorySegment trap = trapOut.get(ValueLayout.ADDRESS, 0);
        if (!trap.equals(MemorySegment.NULL)) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment msg = wasm_byte_vec_t.allocate(arena);
                wasm_trap_message(trap, msg);
                String text = Errors.readByteVec(msg).replace("\0", "");
                wasm_byte_vec_delete(msg);
                MemorySegment code = arena.allocate(ValueLayout.JAVA_BYTE);
                TrapException.Kind kind = wasmtime_trap_code(trap, code)
                        ? Errors.kindOfTrap(Byte.toUnsignedInt(code.get(ValueLayout.JAVA_BYTE, 0))) : TrapException.Kind.TRAP;
                throw new TrapException(kind, what + ": " + text, java.util.List.of());
            } finally {
                wasm_trap_delete(trap);
                trapOut.set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            }
        }
    }

    /** Frees the module. Idempotent and thread-safe. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            wasmtime_module_delete(handle);
        }
    }

    /** An instance of a core module, valid while its store is open; use it on the store's thread. */
    public static final class Instance {
        private final Store store;
        private final MemorySegment instance;

        Instance(Store store, MemorySegment instance) {
            this.store = store;
            this.instance = instance;
        }

        /**
         * An exported function, called with raw 64-bit slots (i32/i64; floats as their bits).
         *
         * @param name the export name
         * @return the function
         * @throws WasmtimeException if the module exports no function of that name
         */
        public Function function(String name) {
            MemorySegment item = store.arena().allocate(wasmtime_extern.layout());
            byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
            try (Arena arena = Arena.ofConfined()) {
                if (!wasmtime_instance_export_get(store.context(), instance, arena.allocateFrom(ValueLayout.JAVA_BYTE, utf8), utf8.length, item)
                        || wasmtime_extern.kind(item) != WASMTIME_EXTERN_FUNC()) {
                    throw new WasmtimeException("module exports no function " + name);
                }
            }
            return new Function(store, name, wasmtime_extern_union.func(wasmtime_extern.of(item)));
        }
    }

    /**
     * A core function with a reusable argument/result buffer (no allocation per call). Not
     * thread-safe: like its store, use it from one thread.
     */
    public static final class Function {
        private static final long SLOT = 16; // sizeof(wasmtime_val_raw_t)
        private final Store store;
        private final String name;
        private final MemorySegment func;
        private final MemorySegment slots;
        private final MemorySegment trap;

        Function(Store store, String name, MemorySegment func) {
            this.store = store;
            this.name = name;
            this.func = func;
            this.slots = store.arena().allocate(SLOT * 8, 16);
            this.trap = store.arena().allocate(ValueLayout.ADDRESS);
        }

        /**
         * Calls an {@code (i32, i32) -> i32} function.
         *
         * @param a the first argument
         * @param b the second argument
         * @return the result
         * @throws TrapException if the function traps
         */
        public int callI32(int a, int b) {
            slots.set(ValueLayout.JAVA_INT, 0, a);
            slots.set(ValueLayout.JAVA_INT, SLOT, b);
            invoke(2);
            return slots.get(ValueLayout.JAVA_INT, 0);
        }

        /**
         * Calls with up to 8 raw slots of arguments; returns the first result slot.
         *
         * @param args the raw argument slots, at most 8
         * @return the first result slot
         * @throws IllegalArgumentException if there are more than 8 arguments
         * @throws TrapException if the function traps
         */
        public long call(long... args) {
            if (args.length > 8) {
                throw new IllegalArgumentException("at most 8 arguments");
            }
            for (int i = 0; i < args.length; i++) {
                slots.set(ValueLayout.JAVA_LONG, i * SLOT, args[i]);
            }
            invoke(Math.max(1, args.length));
            return slots.get(ValueLayout.JAVA_LONG, 0);
        }

        private void invoke(int len) {
            MemorySegment err = wasmtime_func_call_unchecked(store.context(), func, slots, len, trap);
            if (!err.equals(MemorySegment.NULL)) {
                throw Errors.toTrap(err, name);
            }
            checkTrap(trap, name);
        }
    }
}

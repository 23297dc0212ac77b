package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.wasm_byte_vec_delete;
import static dev.wassette.ffi.Wasmtime.wasmtime_wat2wasm;

import dev.wassette.ffi.wasm_byte_vec_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The WebAssembly text format (WAT) of modules and components, translated by Wasmtime's parser. */
public final class WasmText {
    private static final byte[] MAGIC = {0, 'a', 's', 'm'};

    private WasmText() {}

    /**
     * Whether {@code bytes} start as a binary module or component does.
     *
     * @param bytes the bytes
     * @return true for a binary, false for anything else (text, or not WebAssembly at all)
     */
    public static boolean isBinary(byte[] bytes) {
        return bytes.length >= 4 && java.util.Arrays.equals(bytes, 0, 4, MAGIC, 0, 4);
    }

    /**
     * The binary form of a module or component written as text.
     *
     * @param text the WAT text (UTF-8)
     * @return the binary
     * @throws WasmtimeException if the text does not parse
     */
    public static byte[] toBinary(byte[] text) {
        NativeLibrary.load();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = wasm_byte_vec_t.allocate(arena);
            Errors.check(wasmtime_wat2wasm(arena.allocateFrom(ValueLayout.JAVA_BYTE, text), text.length, vec), "cannot parse WebAssembly text");
            byte[] binary = wasm_byte_vec_t.data(vec).reinterpret(wasm_byte_vec_t.size(vec)).toArray(ValueLayout.JAVA_BYTE);
            wasm_byte_vec_delete(vec);
            return binary;
        }
    }
}

package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasm_byte_vec_t;
import dev.wassette.ffi.wasm_frame_vec_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Turns {@code wasmtime_error_t*} results into Java exceptions, freeing the native error. */
final class Errors {
    private Errors() {}

    /** Throws for a non-null error (and deletes it); returns normally for NULL. */
    static void check(MemorySegment error, String context) {
        if (!error.equals(MemorySegment.NULL)) {
            throw toException(error, context);
        }
    }

    static WasmtimeException toException(MemorySegment error, String context) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = wasm_byte_vec_t.allocate(arena);
            wasmtime_error_message(error, name);
            String full = readByteVec(name);
            wasm_byte_vec_delete(name);
            String chain = chain(full);
            return new WasmtimeException(context == null ? chain : context + ": " + chain);
        } finally {
            wasmtime_error_delete(error);
        }
    }

    /** Error of a guest call: classified as a trap, a limit hit, an exit, or a host failure. */
    static TrapException toTrap(MemorySegment error, String function) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = wasm_byte_vec_t.allocate(arena);
            wasmtime_error_message(error, name);
            String full = readByteVec(name);
            wasm_byte_vec_delete(name);

            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            if (wasmtime_error_exit_status(error, status)) {
                int code = status.get(ValueLayout.JAVA_INT, 0);
                return new TrapException(TrapException.Kind.EXIT, function + ": guest exited with status " + code, List.of());
            }
            List<String> frames = backtrace(error, arena);
            String root = rootCause(full);
            TrapException.Kind kind = classify(full);
            String message = switch (kind) {
                case TIMEOUT -> function + ": stopped at its deadline (" + root + ")";
                case CANCELLED -> function + ": " + root;
                case OUT_OF_FUEL -> function + ": ran out of its CPU budget (" + root + ")";
                case STACK_OVERFLOW -> function + ": stack overflow (" + root + ")";
                case MEMORY_LIMIT -> function + ": memory limit reached (" + root + ")";
                case HOST_ERROR -> function + ": host function failed: " + root;
                default -> function + ": " + root;
            };
            return new TrapException(kind, message, frames);
        } finally {
            wasmtime_error_delete(error);
        }
    }

    static TrapException.Kind classify(String full) {
        if (full.contains(DeadlineWatch.CANCELLED)) {
            return TrapException.Kind.CANCELLED;
        }
        if (full.contains("wasm trap: interrupt") || full.contains(DeadlineWatch.DEADLINE)) {
            return TrapException.Kind.TIMEOUT;
        }
        if (full.contains("all fuel consumed")) {
            return TrapException.Kind.OUT_OF_FUEL;
        }
        if (full.contains("call stack exhausted") || full.contains("stack overflow")) {
            return TrapException.Kind.STACK_OVERFLOW;
        }
        if (full.contains("memory limit") || full.contains("forcing trap when growing memory")
                || full.contains("memory minimum size") && full.contains("exceeds")) {
            return TrapException.Kind.MEMORY_LIMIT;
        }
        if (full.contains(HostFunctions.HOST_ERROR_PREFIX)) {
            return TrapException.Kind.HOST_ERROR;
        }
        return TrapException.Kind.TRAP;
    }

    /** Wasmtime's error and its causes on one line ("outer: inner: root"), without the backtrace. */
    static String chain(String full) {
        int caused = full.indexOf("\n\nCaused by:");
        String head = caused < 0 ? full : full.substring(0, caused);
        int bt = head.indexOf("\nwasm backtrace:");
        if (bt >= 0) {
            head = head.substring(0, bt);
        }
        StringBuilder out = new StringBuilder(head.strip());
        if (caused >= 0) {
            for (String line : full.substring(caused + "\n\nCaused by:".length()).strip().split("\n")) {
                String cause = line.strip().replaceFirst("^\\d+:\\s*", "");
                if (!cause.isEmpty()) {
                    out.append(": ").append(cause);
                }
            }
        }
        return out.toString();
    }

    /** The innermost cause of Wasmtime's {@code {:?}} rendering ("context\n\nCaused by:\n  0: a\n  1: b"). */
    static String rootCause(String full) {
        int caused = full.indexOf("\n\nCaused by:");
        String text;
        if (caused < 0) {
            text = full;
            int bt = text.indexOf("\nwasm backtrace:");
            if (bt >= 0) {
                text = text.substring(0, bt);
            }
        } else {
            String[] lines = full.substring(caused + "\n\nCaused by:".length()).strip().split("\n");
            text = lines[lines.length - 1].strip().replaceFirst("^\\d+:\\s*", "");
        }
        return text.strip();
    }

    private static List<String> backtrace(MemorySegment error, Arena arena) {
        MemorySegment vec = wasm_frame_vec_t.allocate(arena);
        wasmtime_error_wasm_trace(error, vec);
        long size = wasm_frame_vec_t.size(vec);
        MemorySegment data = wasm_frame_vec_t.data(vec).reinterpret(size * ValueLayout.ADDRESS.byteSize());
        List<String> frames = new ArrayList<>((int) size);
        for (long i = 0; i < size; i++) {
            MemorySegment frame = data.getAtIndex(ValueLayout.ADDRESS, i);
            String module = nameOrNull(wasmtime_frame_module_name(frame));
            String func = nameOrNull(wasmtime_frame_func_name(frame));
            frames.add((module == null ? "<module>" : module) + "!"
                    + (func == null ? "func[" + wasm_frame_func_index(frame) + "]" : func));
        }
        wasm_frame_vec_delete(vec);
        return frames;
    }

    private static String nameOrNull(MemorySegment name) {
        if (name.equals(MemorySegment.NULL)) {
            return null;
        }
        return readByteVec(name.reinterpret(wasm_byte_vec_t.sizeof()));
    }

    /** Reads a {@code wasm_byte_vec_t}/{@code wasm_name_t} as UTF-8. */
    static String readByteVec(MemorySegment vec) {
        long size = wasm_byte_vec_t.size(vec);
        if (size == 0) {
            return "";
        }
        MemorySegment data = wasm_byte_vec_t.data(vec).reinterpret(size);
        return new String(data.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}

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

/**
 * The one mapping between native errors and Java exceptions: {@code wasmtime_error_t*} results
 * become exceptions (freeing the native error), classified by type; and the errors this layer hands
 * to native code to stop a call are made here.
 */
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
            String chain = chain(message(error, arena));
            return new WasmtimeException(context == null ? chain : context + ": " + chain);
        } finally {
            wasmtime_error_delete(error);
        }
    }

    /**
     * Error of a guest call, classified by type (never by its text): the exit of a guest that
     * called {@code wasi:cli/exit}; an error the host made to stop the call ({@link #stop}: a
     * deadline, a cancellation, a failed host function); or a Wasmtime trap by its trap code.
     */
    static TrapException toTrap(MemorySegment error, String function) {
        TrapException.Kind kind;
        try (Arena arena = Arena.ofConfined()) {
            kind = kindOf(error, arena);
        }
        return toTrap(error, function, kind == null ? TrapException.Kind.TRAP : kind);
    }

    /**
     * An instantiation that failed: a {@link TrapException} when a limit or the caller stopped it,
     * else (a trap in a start function, a resource Wasmtime could not allocate) a
     * {@link WasmtimeException}. A failure without a trap code in a store with a memory limit is
     * the limiter refusing the initial memory: Wasmtime says so only in words, so it is told by where
     * it happened.
     */
    static WasmtimeException instantiationFailure(MemorySegment error, boolean memoryLimited) {
        TrapException.Kind kind;
        try (Arena arena = Arena.ofConfined()) {
            kind = kindOf(error, arena);
        }
        if (kind == null && memoryLimited) {
            kind = TrapException.Kind.MEMORY_LIMIT;
        }
        if (kind == null || kind == TrapException.Kind.TRAP) {
            return toException(error, "cannot instantiate component");
        }
        return toTrap(error, "instantiation", kind);
    }

    private static TrapException toTrap(MemorySegment error, String function, TrapException.Kind kind) {
        try (Arena arena = Arena.ofConfined()) {
            String full = message(error, arena);
            MemorySegment status = arena.allocate(ValueLayout.JAVA_INT);
            if (wasmtime_error_exit_status(error, status)) {
                int code = status.get(ValueLayout.JAVA_INT, 0);
                return new TrapException(TrapException.Kind.EXIT, function + ": guest exited with status " + code, List.of());
            }
            List<String> frames = backtrace(error, arena);
            String root = rootCause(full);
            String message = switch (kind) {
                case TIMEOUT -> function + ": stopped at its deadline (" + root + ")";
                case OUT_OF_FUEL -> function + ": ran out of its CPU budget (" + root + ")";
                case STACK_OVERFLOW -> function + ": stack overflow (" + root + ")";
                case MEMORY_LIMIT -> function + ": memory limit reached (" + root + ")";
                case CANCELLED, HOST_ERROR, TRAP, EXIT, RESULT_LIMIT -> function + ": " + root;
            };
            return new TrapException(kind, message, frames);
        } finally {
            wasmtime_error_delete(error);
        }
    }

    /** What stopped a call, by the error's type; null when neither a trap nor an error of ours. */
    private static TrapException.Kind kindOf(MemorySegment error, Arena arena) {
        int own = wassette_error_kind(error);
        if (own == WASSETTE_ERROR_DEADLINE()) {
            return TrapException.Kind.TIMEOUT;
        } else if (own == WASSETTE_ERROR_CANCELLED()) {
            return TrapException.Kind.CANCELLED;
        } else if (own == WASSETTE_ERROR_HOST_FUNCTION()) {
            return TrapException.Kind.HOST_ERROR;
        }
        MemorySegment code = arena.allocate(ValueLayout.JAVA_BYTE);
        return wassette_error_trap_code(error, code) ? kindOfTrap(Byte.toUnsignedInt(code.get(ValueLayout.JAVA_BYTE, 0))) : null;
    }

    /** The kind of a Wasmtime trap code ({@code wasmtime_trap_code_t}). */
    static TrapException.Kind kindOfTrap(int code) {
        if (code == WASMTIME_TRAP_CODE_STACK_OVERFLOW()) {
            return TrapException.Kind.STACK_OVERFLOW;
        } else if (code == WASMTIME_TRAP_CODE_OUT_OF_FUEL()) {
            return TrapException.Kind.OUT_OF_FUEL;
        } else if (code == WASMTIME_TRAP_CODE_INTERRUPT()) {
            return TrapException.Kind.TIMEOUT; // an epoch deadline without our callback: Wasmtime's own stop
        }
        return TrapException.Kind.TRAP;
    }

    /**
     * An error that stops a guest call, for native code to return: {@code kind} is
     * {@code WASSETTE_ERROR_DEADLINE}, {@code _CANCELLED} or {@code _HOST_FUNCTION}, which is how
     * {@link #toTrap} tells them apart.
     */
    static MemorySegment stop(int kind, String message) {
        try (Arena arena = Arena.ofConfined()) {
            return wassette_error_new(kind, arena.allocateFrom(message));
        }
    }

    /** A host function's failure, as the guest call's error. */
    static MemorySegment hostFunctionFailed(String message) {
        return stop(WASSETTE_ERROR_HOST_FUNCTION(), "host function failed: " + message);
    }

    private static String message(MemorySegment error, Arena arena) {
        MemorySegment name = wasm_byte_vec_t.allocate(arena);
        wasmtime_error_message(error, name);
        String full = readByteVec(name);
        wasm_byte_vec_delete(name);
        return full;
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

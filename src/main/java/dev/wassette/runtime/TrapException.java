package dev.wassette.runtime;

import java.util.List;

/**
 * A guest call that did not complete: a trap, a limit that stopped it, or a host function that
 * failed. {@link #kind()} says which; {@link #backtrace()} holds the guest frames Wasmtime reported.
 */
public final class TrapException extends WasmtimeException {
    /** Why the call stopped. */
    public enum Kind {
        /** The guest trapped (unreachable, out-of-bounds access, division by zero, ...). */
        TRAP,
        /** The wall-clock deadline of the call passed (epoch interruption). */
        TIMEOUT,
        /** The CPU budget (fuel) ran out. */
        OUT_OF_FUEL,
        /** The guest tried to grow memory beyond the store's limit. */
        MEMORY_LIMIT,
        /** The guest's call stack overflowed. */
        STACK_OVERFLOW,
        /** A host function called by the guest failed. */
        HOST_ERROR,
        /** The guest exited (wasi:cli/exit) with a status. */
        EXIT,
        /** The result was larger than the host accepts. */
        RESULT_LIMIT,
        /** The caller cancelled the call while it ran. */
        CANCELLED
    }

    private final Kind kind;
    private final List<String> backtrace;

    /**
     * A stopped call.
     *
     * @param kind why it stopped
     * @param message the description
     * @param backtrace guest frames, innermost first (copied)
     */
    public TrapException(Kind kind, String message, List<String> backtrace) {
        super(message);
        this.kind = kind;
        this.backtrace = List.copyOf(backtrace);
    }

    /**
     * Why the call stopped.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Guest frames, innermost first, as {@code module!function}.
     *
     * @return the frames, empty when Wasmtime gave none
     */
    public List<String> backtrace() {
        return backtrace;
    }
}

package dev.wassette.runtime;

/** A failure reported by Wasmtime (compilation, linking, instantiation) or by this layer. */
public class WasmtimeException extends RuntimeException {
    /**
     * A failure with a message.
     *
     * @param message what failed
     */
    public WasmtimeException(String message) {
        super(message);
    }

    /**
     * A failure with a message and its cause.
     *
     * @param message what failed
     * @param cause the underlying exception
     */
    public WasmtimeException(String message, Throwable cause) {
        super(message, cause);
    }
}

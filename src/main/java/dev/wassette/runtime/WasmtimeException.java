package dev.wassette.runtime;

/** A failure reported by Wasmtime (compilation, linking, instantiation) or by this layer. */
public class WasmtimeException extends RuntimeException {
    public WasmtimeException(String message) {
        super(message);
    }

    public WasmtimeException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.wassette.runtime;

/**
 * A request to stop a running call from another thread. The store checks it at every epoch tick
 * (see {@link StoreConfig#cancellation}), so a guest spinning in wasm code stops within one tick;
 * a guest blocked inside a host call stops when that call returns to wasm.
 */
public final class Cancellation {
    private volatile String reason;

    /** Asks the call to stop; the first reason wins. */
    public void cancel(String why) {
        if (reason == null) {
            reason = why == null ? "cancelled" : why;
        }
    }

    public boolean isCancelled() {
        return reason != null;
    }

    /** Why the call was cancelled, or null. */
    public String reason() {
        return reason;
    }
}

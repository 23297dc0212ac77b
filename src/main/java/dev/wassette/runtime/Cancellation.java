package dev.wassette.runtime;

/**
 * A request to stop a running call from another thread. The store checks it at every epoch tick
 * (see {@link StoreConfig#cancellation}), so a guest spinning in wasm code stops within one tick;
 * a guest blocked inside a host call stops when that call returns to wasm.
 */
public final class Cancellation {
    private volatile String reason;

    /**
     * Asks the call to stop; the first reason wins. Safe to call from any thread, any number of times.
     *
     * @param why the reason reported in the {@link TrapException}; null means {@code "cancelled"}
     */
    public void cancel(String why) {
        if (reason == null) {
            reason = why == null ? "cancelled" : why;
        }
    }

    /**
     * Whether {@link #cancel} has been called.
     *
     * @return true once cancelled
     */
    public boolean isCancelled() {
        return reason != null;
    }

    /**
     * Why the call was cancelled.
     *
     * @return the reason, or null if not cancelled
     */
    public String reason() {
        return reason;
    }
}

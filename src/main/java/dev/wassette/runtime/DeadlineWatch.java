package dev.wassette.runtime;

import java.time.Duration;

/**
 * Decides, at each epoch tick that reaches a store's deadline, whether its guest runs on: it stops
 * when the call's wall-clock deadline has passed or its {@link Cancellation} was requested, and is
 * otherwise given one more tick. Checking every tick (instead of arming the deadline once) is what
 * lets another thread cancel a call at once.
 */
final class DeadlineWatch {
    /** Why a store's guest must stop: {@code kind} is a {@code WASSETTE_ERROR_*} kind, for {@link Errors#stop}. */
    record Stop(int kind, String message) {}

    private final Duration timeout;
    private final Cancellation cancellation;
    private volatile long deadlineNanos;

    DeadlineWatch(Duration timeout, Cancellation cancellation) {
        this.timeout = timeout;
        this.cancellation = cancellation;
        rearm();
    }

    /** Starts the wall-clock budget again (each call gets the whole timeout). */
    void rearm() {
        deadlineNanos = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    }

    /** Null to continue, else why the guest must stop. */
    Stop stop() {
        if (cancellation != null && cancellation.isCancelled()) {
            return new Stop(dev.wassette.ffi.Wasmtime.WASSETTE_ERROR_CANCELLED(), "call cancelled: " + cancellation.reason());
        }
        if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) {
            return new Stop(dev.wassette.ffi.Wasmtime.WASSETTE_ERROR_DEADLINE(), "call deadline reached");
        }
        return null;
    }
}

package dev.wassette.host;

/**
 * Lets a thread that writes many log lines at once (the invocation log's) have them flushed once at
 * the end instead of once per line: the log handlers that support it buffer a record published
 * inside {@link #write} and leave the flush to the end of the batch. Everything else flushes per
 * record, so a warning is never held back.
 */
public final class LogBatch {
    private static final ThreadLocal<Boolean> ACTIVE = ThreadLocal.withInitial(() -> false);

    private LogBatch() {}

    /** True while the current thread is inside {@link #write}: a handler may defer its flush. */
    public static boolean deferringFlush() {
        return ACTIVE.get();
    }

    /**
     * Runs {@code lines} (which publishes records), then flushes the process's log handlers: one
     * write for the batch where a handler buffers.
     */
    public static void write(Runnable lines) {
        ACTIVE.set(true);
        try {
            lines.run();
        } finally {
            ACTIVE.set(false);
            for (java.util.logging.Handler handler : java.util.logging.Logger.getLogger("").getHandlers()) {
                handler.flush();
            }
        }
    }
}

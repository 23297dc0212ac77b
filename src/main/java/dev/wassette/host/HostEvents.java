package dev.wassette.host;

/**
 * What the host tells an observer (the server's metrics) about work outside tool calls: preparing a
 * component's code and fetching components. Called on the thread that did the work; implementations
 * only record. The default methods ignore everything.
 */
public interface HostEvents {
    /** Observes nothing. */
    HostEvents NONE = new HostEvents() {};

    /**
     * A component's code is ready to run.
     *
     * @param fromPrecompiled true when it was mapped from the store's precompiled code, false when
     *                        it was compiled from the component's bytes
     * @param nanos           how long that took
     */
    default void codePrepared(boolean fromPrecompiled, long nanos) {}

    /**
     * A fetch of a component ended.
     *
     * @param sourceKind {@code file}, {@code http} (HTTP or HTTPS) or {@code oci}
     * @param nanos      how long it took, verification included
     * @param errorType  why it failed (an exception's class name), or null when it succeeded
     */
    default void fetched(String sourceKind, long nanos, String errorType) {}
}

package dev.wassette.host;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits every call has whatever its policy says: a wall-clock deadline and a cap on the size
 * of its result. The defaults live here and nowhere else.
 *
 * @param callTimeout    wall-clock limit of one call (also what a policy's CPU share is taken of)
 * @param maxResultBytes largest result accepted, in bytes of its JSON form (approximately)
 */
public record Limits(Duration callTimeout, long maxResultBytes) {
    /** Thirty seconds: long enough for a tool that fetches something, short enough to notice a runaway guest. */
    public static final int DEFAULT_CALL_TIMEOUT_SECONDS = 30;
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(DEFAULT_CALL_TIMEOUT_SECONDS);
    /** 16 MiB: far beyond any useful tool result, far below what would hurt the JVM. */
    public static final long DEFAULT_MAX_RESULT_BYTES = 16L << 20;

    private static final Limits DEFAULTS = new Limits(DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_RESULT_BYTES);

    public Limits {
        Objects.requireNonNull(callTimeout, "callTimeout");
        if (callTimeout.isNegative() || callTimeout.isZero()) {
            throw new IllegalArgumentException("the call timeout must be positive, not " + callTimeout);
        }
        if (maxResultBytes <= 0) {
            throw new IllegalArgumentException("the result size limit must be positive, not " + maxResultBytes);
        }
    }

    /** {@value #DEFAULT_MAX_RESULT_BYTES} bytes of result and {@link #DEFAULT_CALL_TIMEOUT} per call. */
    public static Limits defaults() {
        return DEFAULTS;
    }

    public Limits withCallTimeout(Duration timeout) {
        return new Limits(timeout, maxResultBytes);
    }

    public Limits withMaxResultBytes(long bytes) {
        return new Limits(callTimeout, bytes);
    }
}

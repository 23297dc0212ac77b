package dev.wassette.host;

import dev.wassette.policy.Policy;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One component's quotas in force: a slot per call in flight ({@code concurrent_calls}) and a token
 * bucket of calls started ({@code calls_per_minute}). Each component has its own gate, so one at its
 * quota makes only its own calls wait or fail. Made again when the policy's quotas change; calls in
 * flight keep the slot of the gate they entered.
 */
final class QuotaGate {
    /** The longest a call waits for a slot, whatever its timeout. */
    static final Duration MAX_WAIT = Duration.ofSeconds(5);

    private final Policy.Quotas quotas;
    private final Semaphore slots;
    /** Tokens of the bucket, refilled continuously; guarded by {@code this}. */
    private double tokens;
    private long refilledAt = System.nanoTime();

    QuotaGate(Policy.Quotas quotas) {
        this.quotas = quotas;
        this.slots = quotas.concurrentCalls() == null ? null : new Semaphore(quotas.concurrentCalls(), true);
        this.tokens = quotas.callsPerMinute() == null ? 0 : quotas.callsPerMinute();
    }

    Policy.Quotas quotas() {
        return quotas;
    }

    /** A call admitted: release it when the call ends. */
    interface Admission extends AutoCloseable {
        @Override
        void close();
    }

    private static final Admission FREE = () -> {};

    /**
     * Admits a call: takes a token (none left: refused at once, with when the next comes), then
     * waits for a slot up to {@code timeout} (at most {@link #MAX_WAIT}; none by then: refused).
     *
     * @throws QuotaExceededException with which quota and its value
     * @throws InterruptedException if interrupted while waiting for a slot
     */
    Admission admit(Duration timeout) throws InterruptedException {
        if (quotas.callsPerMinute() != null) {
            takeToken();
        }
        if (slots == null) {
            return FREE;
        }
        long waitNanos = Math.min(timeout.toNanos(), MAX_WAIT.toNanos());
        if (!slots.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
            throw new QuotaExceededException("quota concurrent_calls (" + quotas.concurrentCalls() + ") reached: no call slot freed within "
                    + TimeUnit.NANOSECONDS.toMillis(waitNanos) + " ms");
        }
        return slots::release;
    }

    private synchronized void takeToken() {
        int perMinute = quotas.callsPerMinute();
        long now = System.nanoTime();
        double perNano = perMinute / (double) TimeUnit.MINUTES.toNanos(1);
        tokens = Math.min(perMinute, tokens + (now - refilledAt) * perNano);
        refilledAt = now;
        if (tokens < 1) {
            long retryMillis = (long) Math.ceil((1 - tokens) / perNano / 1e6);
            throw new QuotaExceededException("quota calls_per_minute (" + perMinute + ") reached: the next call is allowed in "
                    + retryMillis + " ms");
        }
        tokens -= 1;
    }
}

package dev.wassette.mcp;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One thread that runs an action every period while there is work, and sleeps once there has been
 * none for a grace time, until {@link #wake} is called. Work arriving costs its producer a volatile
 * read ({@link #wake} unparks only a sleeping thread), so nothing is woken per message or per call,
 * and an idle server is not woken at all.
 */
final class IdleSleepingTicker {
    private final String name;
    private final long periodNanos;
    private final long idlePeriodsBeforeSleep;
    private final BooleanSupplier busy;
    private final Runnable tick;
    private volatile Thread thread;
    private volatile boolean sleeping;

    /**
     * @param busy whether there is work now (called by the ticker's thread, and must be cheap)
     * @param tick what to do every period while there is work, and during the grace time
     */
    IdleSleepingTicker(String name, Duration period, Duration grace, BooleanSupplier busy, Runnable tick) {
        this.name = name;
        this.periodNanos = period.toNanos();
        this.idlePeriodsBeforeSleep = Math.max(1, grace.toNanos() / periodNanos);
        this.busy = busy;
        this.tick = tick;
    }

    /** Starts the thread, once; it sleeps until there is work. */
    synchronized void start() {
        if (thread == null) {
            thread = Thread.ofPlatform().name(name).daemon().start(this::run);
        }
    }

    /** There is work: call after making {@code busy} true. */
    void wake() {
        Thread t = thread;
        if (t == null) {
            start();
        } else if (sleeping) {
            LockSupport.unpark(t);
        }
    }

    private void run() {
        long idlePeriods = 0;
        while (true) {
            if (!busy.getAsBoolean() && ++idlePeriods > idlePeriodsBeforeSleep) {
                sleeping = true;
                if (!busy.getAsBoolean()) { // work that arrived after the flag was set unparks us
                    LockSupport.park(this);
                }
                sleeping = false;
                idlePeriods = 0;
                continue;
            }
            if (busy.getAsBoolean()) {
                idlePeriods = 0;
            }
            LockSupport.parkNanos(periodNanos);
            tick.run();
        }
    }
}

package dev.wassette.host;

import dev.wassette.runtime.Cancellation;
import java.util.ArrayList;
import java.util.List;

/**
 * One call in flight and what it left behind: the handle that cancels it, where its time went, and
 * the denials recorded while it ran (for the caller, who needs to know why a guest failed and what
 * to grant). Filled whatever the outcome; thread-safe (a call is cancelled from another thread).
 */
public final class CallContext {
    /** A denial recorded during the call. */
    public record Denial(Audit.Category category, String detail) {}

    private final Cancellation cancellation = new Cancellation();
    private final List<Denial> denials = new ArrayList<>(0);
    private volatile long startedNanos;
    private volatile long fuelConsumed = -1;
    private volatile long memoryBytes = -1;
    private volatile long outboundBytes = -1;
    private volatile long instantiateNanos;
    private volatile long executeNanos;
    private volatile List<String> policyNotes = List.of();
    private volatile boolean running;
    private volatile List<String> storageVisible;
    private volatile ClientEnvironment client;
    private volatile String traceId;

    /**
     * The client the call is made for, when it is not this process (a session of the per-user
     * daemon): its variables and working directory replace the process's. Null: this process's.
     */
    public CallContext client(ClientEnvironment client) {
        this.client = client;
        return this;
    }

    public ClientEnvironment client() {
        return client;
    }

    /** The trace id of the call's span, which audit lines then carry; null: not traced. */
    public CallContext traceId(String traceId) {
        this.traceId = traceId;
        return this;
    }

    public String traceId() {
        return traceId;
    }

    /** Stops the call at the next epoch tick (or refuses it, if it has not started). */
    public void cancel(String reason) {
        cancellation.cancel(reason);
    }

    public boolean isCancelled() {
        return cancellation.isCancelled();
    }

    public Cancellation cancellation() {
        return cancellation;
    }

    /** Whether the guest function has been entered (instantiation is done). */
    public boolean isRunning() {
        return running;
    }

    void running(boolean on) {
        this.running = on;
    }

    public long instantiateNanos() {
        return instantiateNanos;
    }

    public long executeNanos() {
        return executeNanos;
    }

    /** Fuel units the call used (instantiation and execution), or -1 when not metered or not reached. */
    public long fuelConsumed() {
        return fuelConsumed;
    }

    void fuelConsumed(long units) {
        this.fuelConsumed = units;
    }

    /** Linear memory the call's instance came to hold (its peak), or -1 when the call never reached the component. */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** Bytes the call's outgoing HTTP requests sent (request lines, headers and bodies); -1 when not counted (no byte quota). */
    public long outboundBytes() {
        return outboundBytes;
    }

    void usage(long memoryBytes, long outboundBytes) {
        this.memoryBytes = memoryBytes;
        this.outboundBytes = outboundBytes;
    }

    /** {@link System#nanoTime()} when instantiation began; 0 if the call never reached the component. */
    public long startedNanos() {
        return startedNanos;
    }

    void timing(long started, long instantiate, long execute) {
        this.startedNanos = started;
        this.instantiateNanos = instantiate;
        this.executeNanos = execute;
    }

    void denied(Audit.Category category, String detail) {
        synchronized (denials) {
            denials.add(new Denial(category, detail));
        }
    }

    public List<Denial> denials() {
        synchronized (denials) {
            return List.copyOf(denials);
        }
    }

    /**
     * The directories the call could see, as the guest names them with their access ({@code /data
     * (read-only)}), when the component uses files at all; else null. WASI refuses other paths inside
     * the guest, where the host cannot see the attempt, so this is what explains a "no such file".
     */
    public List<String> storageVisible() {
        return storageVisible;
    }

    void storageVisible(List<String> directories) {
        this.storageVisible = directories == null ? null : List.copyOf(directories);
    }

    /** Rules of the component's policy that were not in force for this call, and why. */
    public List<String> policyNotes() {
        return policyNotes;
    }

    void policyNotes(List<String> notes) {
        this.policyNotes = List.copyOf(notes);
    }
}

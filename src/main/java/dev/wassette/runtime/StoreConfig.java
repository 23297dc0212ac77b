package dev.wassette.runtime;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits and capabilities of one {@link Store}. Defaults: no WASI context, network denied, no
 * memory limit beyond Wasmtime's, unlimited fuel, no timeout.
 */
public final class StoreConfig {
    private WasiConfig wasi;
    private boolean http;
    private EgressCheck egress = EgressCheck.DENY_ALL;
    private long memoryLimitBytes = -1;
    private long fuel = -1;
    private long httpByteLimit = -1;
    private Duration timeout;
    private Cancellation cancellation;

    /**
     * A new configuration with the defaults above. Mutable and not thread-safe; a {@link Store}
     * reads it only when created.
     *
     * @return a new configuration
     */
    public static StoreConfig defaults() {
        return new StoreConfig();
    }

    /**
     * Gives the store a WASI context (needed by any component importing {@code wasi:*}).
     *
     * @param config the WASI settings
     * @return this configuration
     */
    public StoreConfig wasi(WasiConfig config) {
        this.wasi = Objects.requireNonNull(config);
        return this;
    }

    /**
     * Gives the store a {@code wasi:http} context; each request still passes the egress check.
     * Needs a WASI context too.
     *
     * @param enabled whether to add the context
     * @return this configuration
     */
    public StoreConfig http(boolean enabled) {
        this.http = enabled;
        return this;
    }

    /**
     * Sets the check every network destination of the guest must pass (default: {@link EgressCheck#DENY_ALL}).
     *
     * @param check the check, not null
     * @return this configuration
     */
    public StoreConfig egress(EgressCheck check) {
        this.egress = Objects.requireNonNull(check);
        return this;
    }

    /**
     * Largest total linear memory in bytes a guest may grow to; a grow beyond it fails in the guest.
     *
     * @param bytes the limit in bytes
     * @return this configuration
     */
    public StoreConfig memoryLimit(long bytes) {
        this.memoryLimitBytes = bytes;
        return this;
    }

    /**
     * Bytes the store's outgoing HTTP requests may send in all (request lines, headers, bodies);
     * a request beyond it fails in the guest with {@code HTTP-request-denied}.
     *
     * @param bytes the limit in bytes, or -1 for none
     * @return this configuration
     */
    public StoreConfig httpByteLimit(long bytes) {
        this.httpByteLimit = bytes;
        return this;
    }

    /**
     * CPU budget in fuel units (about one per wasm instruction); needs an engine with fuel on.
     *
     * @param units the fuel for the store's lifetime
     * @return this configuration
     */
    public StoreConfig fuel(long units) {
        this.fuel = units;
        return this;
    }

    /**
     * Wall-clock limit of each call; needs an engine with epoch interruption on.
     *
     * @param timeout the limit, or null for none
     * @return this configuration
     */
    public StoreConfig timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /**
     * Lets another thread stop the store's calls; needs an engine with epoch interruption on.
     *
     * @param cancellation the cancellation to watch, or null for none
     * @return this configuration
     */
    public StoreConfig cancellation(Cancellation cancellation) {
        this.cancellation = cancellation;
        return this;
    }

    WasiConfig wasiConfig() {
        return wasi;
    }

    boolean httpEnabled() {
        return http;
    }

    EgressCheck egressCheck() {
        return egress;
    }

    long memoryLimitBytes() {
        return memoryLimitBytes;
    }

    long httpByteLimit() {
        return httpByteLimit;
    }

    long fuelUnits() {
        return fuel;
    }

    Duration timeoutValue() {
        return timeout;
    }

    Cancellation cancellationValue() {
        return cancellation;
    }
}

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
    private Duration timeout;
    private Cancellation cancellation;

    public static StoreConfig defaults() {
        return new StoreConfig();
    }

    /** Gives the store a WASI context (needed by any component importing {@code wasi:*}). */
    public StoreConfig wasi(WasiConfig config) {
        this.wasi = Objects.requireNonNull(config);
        return this;
    }

    /** Gives the store a {@code wasi:http} context; each request still passes the egress check. */
    public StoreConfig http(boolean enabled) {
        this.http = enabled;
        return this;
    }

    public StoreConfig egress(EgressCheck check) {
        this.egress = Objects.requireNonNull(check);
        return this;
    }

    /** Largest total linear memory in bytes a guest may grow to; a grow beyond it fails in the guest. */
    public StoreConfig memoryLimit(long bytes) {
        this.memoryLimitBytes = bytes;
        return this;
    }

    /** CPU budget in fuel units (about one per wasm instruction); needs an engine with fuel on. */
    public StoreConfig fuel(long units) {
        this.fuel = units;
        return this;
    }

    /** Wall-clock limit of each call; needs an engine with epoch interruption on. */
    public StoreConfig timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** Lets another thread stop the store's calls; needs an engine with epoch interruption on. */
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

package dev.wassette.host;

import dev.wassette.runtime.Component;
import dev.wassette.runtime.ComponentImport;
import dev.wassette.runtime.EgressCheck;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasiConfig;
import dev.wassette.runtime.WasmtimeException;
import java.time.Duration;
import java.util.List;

/**
 * One loaded component, ready to call under a policy: its imports are linked once (WASI preview
 * 2, {@code wasi:http} behind the egress check, {@code wassette:host/log}), and every call runs in a
 * fresh instance in a fresh store carrying that call's grants, limits and egress check, so no state
 * leaks between calls and a trap in one call cannot affect the next. Thread-safe.
 */
public final class ComponentSandbox implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");

    private final Engine engine;
    private final Component component;
    private final InstancePre pre;
    private final boolean usesFilesystem;
    // Calls in flight, and whether close was requested: native handles are released only when both
    // say so, so replacing or unloading a component never frees what a running call uses.
    private int inFlight;
    private boolean closeRequested;
    private boolean released;

    public ComponentSandbox(Engine engine, Component component, HostLog hostLog) {
        this.engine = engine;
        this.component = component;
        this.usesFilesystem = component.imports().stream().anyMatch(i -> "storage".equals(ProvidedImports.gate(i.name())));
        try (Linker linker = new Linker(engine)) {
            linker.addWasip2().addWasiHttp().defineInterface(HostLog.INTERFACE, hostLog.functions());
            this.pre = link(linker, component);
        }
    }

    private static InstancePre link(Linker linker, Component component) {
        try {
            return linker.instantiatePre(component);
        } catch (WasmtimeException e) {
            // Wasmtime names only the first unresolved import; name them all. When none is missing
            // (e.g. a type mismatch inside a provided interface) its own message is the reason.
            List<ComponentImport> missing = ProvidedImports.missing(component);
            if (missing.isEmpty()) {
                throw e;
            }
            throw new WasmtimeException("cannot link component: " + ProvidedImports.describeMissing(missing), e);
        }
    }

    public Component component() {
        return component;
    }

    /** Whether the component imports {@code wasi:filesystem}: only then do storage grants matter to it. */
    public boolean usesFilesystem() {
        return usesFilesystem;
    }

    public List<ExportedFunction> functions() {
        return component.exports();
    }

    /**
     * Calls {@code function} in a fresh instance.
     *
     * @param egress decides every network attempt (use {@link EgressCheck#DENY_ALL} for none)
     * @throws dev.wassette.runtime.TrapException on a trap, a limit hit, a cancellation or a host failure
     */
    public Val call(ExportedFunction function, List<Val> args, Grants grants, EgressCheck egress, Duration timeout) {
        return call(function, args, grants, egress, timeout, new CallContext());
    }

    /**
     * {@link #call} that can be cancelled through {@code context} and records there where its time
     * went, whatever the outcome.
     */
    public Val call(ExportedFunction function, List<Val> args, Grants grants, EgressCheck egress, Duration timeout,
                    CallContext context) {
        WasiConfig wasi = new WasiConfig().sockets(true, grants.nameLookup());
        for (Grants.Preopen p : grants.preopens()) {
            wasi.preopenDirectory(p.hostPath(), p.guestPath(), p.writable());
        }
        grants.environment().forEach(wasi::env);
        String name = function.qualifiedName();
        wasi.stdout(line -> LOG.log(System.Logger.Level.INFO, "[{0} stdout] {1}", name, line));
        wasi.stderr(line -> LOG.log(System.Logger.Level.INFO, "[{0} stderr] {1}", name, line));
        StoreConfig config = StoreConfig.defaults().wasi(wasi).http(true).egress(egress);
        if (grants.memoryLimitBytes() > 0) {
            config.memoryLimit(grants.memoryLimitBytes());
        }
        if (grants.fuel() > 0 && engine.consumeFuel()) {
            config.fuel(grants.fuel());
        }
        if (engine.epochInterruption()) {
            config.cancellation(context.cancellation());
            if (timeout != null) {
                config.timeout(timeout);
            }
        }
        enter();
        long start = System.nanoTime();
        long instantiated = 0;
        try (Store store = new Store(engine, config)) {
            if (context.isCancelled()) {
                throw new TrapException(TrapException.Kind.CANCELLED, name + ": call cancelled: " + context.cancellation().reason(), List.of());
            }
            var instance = pre.instantiate(store);
            instantiated = System.nanoTime();
            context.running(true);
            return instance.call(function, args);
        } finally {
            context.running(false);
            long end = System.nanoTime();
            context.timing(instantiated == 0 ? end - start : instantiated - start, instantiated == 0 ? 0 : end - instantiated);
            exit();
        }
    }

    private synchronized void enter() {
        if (closeRequested) {
            throw new IllegalStateException("the component was unloaded");
        }
        inFlight++;
    }

    private void exit() {
        boolean release;
        synchronized (this) {
            inFlight--;
            release = closeRequested && inFlight == 0 && !released;
            released |= release;
        }
        if (release) {
            releaseNative();
        }
    }

    /** Unloads: new calls are refused; native handles go when the last running call ends. */
    @Override
    public void close() {
        boolean release;
        synchronized (this) {
            closeRequested = true;
            release = inFlight == 0 && !released;
            released |= release;
        }
        if (release) {
            releaseNative();
        }
    }

    private void releaseNative() {
        pre.close();
        component.close();
    }
}

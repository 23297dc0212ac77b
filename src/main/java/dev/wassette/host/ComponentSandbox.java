package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.ComponentImport;
import dev.wassette.runtime.EgressCheck;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.HostFunction;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasiConfig;
import dev.wassette.runtime.WasmtimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A component ready to call under a policy — the one place a call under a policy is assembled, for
 * the MCP server, every CLI command, the benchmarks and embedders. Its imports are linked once (WASI
 * preview 2, {@code wasi:http} behind the egress check, {@code wassette:host/log} and any interfaces
 * the embedder implements in Java); every call runs in a fresh instance in a fresh store carrying
 * that call's grants, limits and egress check, so no state leaks between calls and a trap in one
 * call cannot affect the next. Every denial and limit hit is written to the {@link Audit} and to the
 * call's {@link CallContext}; a result over the size limit is discarded. Thread-safe.
 */
public final class ComponentSandbox implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");

    private final String id;
    private final Engine engine;
    private final Component component;
    private final InstancePre pre;
    private final Audit audit;
    private final boolean usesFilesystem;
    /** The policy notes last logged, so each change is logged once, not on every call. */
    private volatile List<String> reportedNotes = List.of();
    // Calls in flight, and whether close was requested: native handles are released only when both
    // say so, so replacing or unloading a component never frees what a running call uses.
    private int inFlight;
    private boolean closeRequested;
    private boolean released;

    /** A sandbox for tests and tools that call a component outside a host: id "component", its own audit. */
    public ComponentSandbox(Engine engine, Component component, HostLog hostLog) {
        this("component", engine, component, Map.of(HostLog.INTERFACE, hostLog.functions()), new Audit());
    }

    /**
     * Links {@code component} (which this sandbox then owns and closes).
     *
     * @param id             names the component in the audit log and in messages
     * @param hostInterfaces interfaces implemented in Java, by interface name ({@code my:pkg/clock@1.0.0}),
     *                       each a map of function name to implementation
     * @throws IllegalArgumentException when {@code engine} cannot enforce call limits: it needs epoch
     *     interruption (deadlines, cancellation) and fuel metering (CPU limits)
     * @throws WasmtimeException when an import is missing (all are named) or does not type-check
     */
    public ComponentSandbox(String id, Engine engine, Component component, Map<String, Map<String, HostFunction>> hostInterfaces,
                            Audit audit) {
        requireLimitsEnforceable(engine);
        this.id = id;
        this.engine = engine;
        this.component = component;
        this.audit = audit;
        this.usesFilesystem = component.imports().stream().anyMatch(i -> "storage".equals(ProvidedImports.gate(i.name())));
        try (Linker linker = new Linker(engine)) {
            linker.addWasip2().addWasiHttp();
            hostInterfaces.forEach(linker::defineInterface);
            this.pre = link(linker, component, hostInterfaces.keySet());
        }
    }

    /**
     * Refuses an engine that would let a limit be dropped without a word: every call has a deadline
     * and can be cancelled (epoch interruption), and a policy may set a CPU share (fuel).
     */
    public static void requireLimitsEnforceable(Engine engine) {
        List<String> missing = new ArrayList<>(2);
        if (!engine.epochInterruption()) {
            missing.add("epoch interruption (call deadlines and cancellation)");
        }
        if (!engine.consumeFuel()) {
            missing.add("fuel metering (CPU limits)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("components run under policies need an engine with "
                    + String.join(" and ", missing) + "; build it with Engine.builder().epochInterruption(true).consumeFuel(true)");
        }
    }

    private static InstancePre link(Linker linker, Component component, java.util.Set<String> hostInterfaces) {
        try {
            return linker.instantiatePre(component);
        } catch (WasmtimeException e) {
            // Wasmtime names only the first unresolved import; name them all. When none is missing
            // (e.g. a type mismatch inside a provided interface) its own message is the reason.
            List<ComponentImport> missing = ProvidedImports.missing(component, hostInterfaces);
            if (missing.isEmpty()) {
                throw e;
            }
            throw new WasmtimeException("cannot link component: " + ProvidedImports.describeMissing(missing), e);
        }
    }

    public String id() {
        return id;
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
     * Calls {@code function} in a fresh instance under {@code policy}. Rules of the policy that
     * cannot be enforced are left out (never widened) and reported in the context's policy notes;
     * {@code context} also receives the denials, timings, and can cancel the call.
     *
     * @param environment the value offered for an environment variable the policy allows, or null
     *                    when there is none (asked only for allowed keys)
     * @return the result, or null for a function without one
     * @throws TrapException on a trap, a limit hit, a cancellation, a host failure or a result over
     *     the size limit
     */
    public Val call(ExportedFunction function, List<Val> args, CallPolicy policy, Function<String, String> environment,
                    CallContext context) {
        String fn = function.qualifiedName();
        Grants grants = policy.grants();
        List<String> notes = grants.notes();
        context.policyNotes(notes);
        if (notes != reportedNotes) {
            List<String> previous = reportedNotes;
            reportedNotes = notes;
            if (!notes.isEmpty() && !notes.equals(previous)) {
                LOG.log(System.Logger.Level.WARNING, "component {0}: policy rules not in force: {1}", id, String.join("; ", notes));
            }
        }
        if (usesFilesystem) {
            context.storageVisible(policy.visibleStorage());
        }
        EgressCheck egress = policy.egress(denial -> denied(fn, Audit.Category.NETWORK, denial, context));
        Integer outbound = policy.policy().resources().quotas().outboundRequests();
        if (outbound != null) {
            egress = new OutboundBudget(egress, outbound, denial -> denied(fn, Audit.Category.QUOTA, denial, context));
        }
        Val value;
        try {
            value = run(function, args, grants, policy, environment, egress, context);
        } catch (TrapException e) {
            Audit.Category category = switch (e.kind()) {
                case TIMEOUT -> Audit.Category.TIMEOUT;
                case OUT_OF_FUEL -> Audit.Category.CPU;
                case MEMORY_LIMIT -> Audit.Category.MEMORY;
                case STACK_OVERFLOW -> Audit.Category.STACK;
                case TRAP, HOST_ERROR, EXIT, RESULT_LIMIT, CANCELLED -> null;
            };
            if (category != null) {
                denied(fn, category, e.getMessage(), context);
            }
            throw e;
        }
        long size = ValueSize.of(value);
        long max = policy.limits().maxResultBytes();
        if (size > max) {
            String message = fn + ": result of about " + size + " bytes exceeds the limit of " + max + " bytes";
            denied(fn, Audit.Category.RESULT_SIZE, message, context);
            throw new TrapException(TrapException.Kind.RESULT_LIMIT, message, List.of());
        }
        return value;
    }

    private void denied(String function, Audit.Category category, String detail, CallContext context) {
        audit.deny(id, function, category, detail, context.traceId());
        context.denied(category, detail);
    }

    private Val run(ExportedFunction function, List<Val> args, Grants grants, CallPolicy policy, Function<String, String> environment,
                    EgressCheck egress, CallContext context) {
        try {
            return run(function, args, grants, policy.policy(), environment, egress, policy.limits().callTimeout(), context);
        } catch (WasiConfig.PreopenException e) {
            // A granted directory was removed since the grants were resolved: resolve them again,
            // which leaves it out (as a policy note), and try once more.
            if (!policy.refreshStorage()) {
                throw e;
            }
            Grants fresh = policy.grants();
            context.policyNotes(fresh.notes());
            if (usesFilesystem) {
                context.storageVisible(policy.visibleStorage());
            }
            return run(function, args, fresh, policy.policy(), environment, egress, policy.limits().callTimeout(), context);
        }
    }

    private Val run(ExportedFunction function, List<Val> args, Grants grants, Policy policy, Function<String, String> environment,
                    EgressCheck egress, Duration timeout, CallContext context) {
        WasiConfig wasi = new WasiConfig().sockets(true, grants.nameLookup());
        grants.preopens().forEach(wasi::preopen);
        for (String key : policy.environmentAllow()) {
            String value = environment.apply(key);
            if (value != null) {
                wasi.env(key, value);
            }
        }
        String name = function.qualifiedName();
        wasi.stdout(line -> LOG.log(System.Logger.Level.INFO, "[{0} stdout] {1}", name, line));
        wasi.stderr(line -> LOG.log(System.Logger.Level.INFO, "[{0} stderr] {1}", name, line));
        StoreConfig config = StoreConfig.defaults().wasi(wasi).http(true).egress(egress)
                .cancellation(context.cancellation()).timeout(timeout);
        if (grants.memoryLimitBytes() > 0) {
            config.memoryLimit(grants.memoryLimitBytes());
        }
        if (grants.fuel() > 0) {
            config.fuel(grants.fuel());
        }
        Long byteQuota = policy.resources().quotas().outboundBytes();
        if (byteQuota != null) {
            config.httpByteLimit(byteQuota);
        }
        enter();
        long start = System.nanoTime();
        long instantiated = 0;
        try (Store store = new Store(engine, config)) {
            if (context.isCancelled()) {
                throw new TrapException(TrapException.Kind.CANCELLED, name + ": call cancelled: " + context.cancellation().reason(), List.of());
            }
            try {
                var instance = pre.instantiate(store);
                instantiated = System.nanoTime();
                context.running(true);
                return instance.call(function, args);
            } finally {
                // A store without a CPU share is given all the fuel there is (see Store): what is left tells what was used.
                long remaining = store.fuelRemaining();
                if (remaining >= 0) {
                    context.fuelConsumed((grants.fuel() > 0 ? grants.fuel() : Long.MAX_VALUE) - remaining);
                }
                // The bytes sent are read only under a byte quota: a native lookup the common call need not pay.
                Store.HttpEgressUsage http = byteQuota != null ? store.httpEgressUsage() : null;
                context.usage(store.memoryBytes(), http != null ? http.bytesSent() : -1);
                if (http != null && http.byteLimitReached()) {
                    denied(name, Audit.Category.QUOTA, "HTTP request denied: quota outbound_bytes (" + byteQuota
                            + ") reached for this call after " + http.bytesSent() + " bytes", context);
                }
            }
        } finally {
            context.running(false);
            long end = System.nanoTime();
            context.timing(start, instantiated == 0 ? end - start : instantiated - start, instantiated == 0 ? 0 : end - instantiated);
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

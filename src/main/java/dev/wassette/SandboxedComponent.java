package dev.wassette;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.wassette.host.CallContext;
import dev.wassette.host.CallPolicy;
import dev.wassette.host.ComponentSandbox;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Val;
import dev.wassette.tools.JsonValues;
import dev.wassette.tools.ToolSchemas;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * A component loaded by a {@link WassetteRuntime}, bound to the {@link Policy} its calls run under.
 * Thread-safe: call it from any number of threads; each call gets a fresh instance in a fresh store.
 *
 * <p>Functions are named by their export name — {@code greet} at world level,
 * {@code my:pkg/tools#greet} inside an exported interface — or by their tool name
 * ({@code my_pkg_tools_greet}).
 *
 * <p>A call that does not complete throws: {@link dev.wassette.runtime.TrapException} when the guest
 * trapped or was stopped (its {@code kind()} says which: a trap, the deadline, the CPU share, the
 * memory limit, the stack, a failed host function, a result over the cap, a cancellation),
 * {@link dev.wassette.tools.InvalidArgumentException} when an argument does not fit its parameter
 * (naming its path), {@link IllegalArgumentException} for an unknown function, and
 * {@link IllegalStateException} once the component or runtime is closed. What the policy denies
 * inside a call (a file, a host) is what the guest sees fail: a WIT {@code result} error is a normal
 * result.
 */
public final class SandboxedComponent implements AutoCloseable {
    private final WassetteRuntime runtime;
    private final Linked linked;
    private final Policy policy;
    private final CallPolicy callPolicy;
    private final boolean owner;

    /** The compiled and linked component, shared by the component and its {@link #withPolicy} views. */
    private static final class Linked {
        final ComponentSandbox sandbox;
        final Map<String, ExportedFunction> byName = new ConcurrentHashMap<>();

        Linked(ComponentSandbox sandbox) {
            this.sandbox = sandbox;
        }

        ExportedFunction function(String name) {
            ExportedFunction f = byName.get(name);
            return f != null ? f : byName.computeIfAbsent(name, n -> ToolSchemas.resolve(sandbox.functions(), n));
        }
    }

    SandboxedComponent(WassetteRuntime runtime, ComponentSandbox sandbox, Policy policy, boolean owner) {
        this(runtime, new Linked(sandbox), policy, owner);
    }

    private SandboxedComponent(WassetteRuntime runtime, Linked linked, Policy policy, boolean owner) {
        this.runtime = runtime;
        this.linked = linked;
        this.policy = policy;
        this.callPolicy = CallPolicy.of(policy, runtime.baseDirectory(), runtime.limits());
        this.owner = owner;
    }

    /** The name the audit log knows it by (from its file name, or as given to {@code load}). */
    public String name() {
        return linked.sandbox.id();
    }

    /** The policy its calls run under. */
    public Policy policy() {
        return policy;
    }

    /** Its exported functions, with their WIT types. */
    public List<ExportedFunction> functions() {
        return linked.sandbox.functions();
    }

    /**
     * The same component under another policy: shares the compiled, linked code (nothing is
     * compiled again), so one component can serve many tenants, each with its own grants. Closing
     * the view does nothing; closing the component it came from ends both.
     */
    public SandboxedComponent withPolicy(Policy policy) {
        return new SandboxedComponent(runtime, linked, policy, false);
    }

    /**
     * Calls {@code function} with arguments by parameter name, as plain Java values that map to
     * JSON (maps, lists, strings, numbers, booleans, null), converted by the WIT types as the MCP
     * tools convert them (a record is a map, a variant {@code {"tag": …, "val": …}}, an option
     * {@code null} or the value, …).
     *
     * @return the result as JSON, or a {@link MissingNode} for a function without a result
     */
    public JsonNode call(String function, Map<String, ?> args) {
        return call(function, runtime.json().<JsonNode>valueToTree(args));
    }

    /**
     * Calls {@code function} with a JSON object of arguments keyed by parameter name.
     *
     * @return the result as JSON, or a {@link MissingNode} for a function without a result
     */
    public JsonNode call(String function, JsonNode args) {
        return callJson(function, args, new CallContext());
    }

    /** Calls {@code function} with typed values, in parameter order; returns its result, or null without one. */
    public Val call(String function, Val... args) {
        return call(function, Arrays.asList(args));
    }

    /** Calls {@code function} with typed values, in parameter order; returns its result, or null without one. */
    public Val call(String function, List<Val> args) {
        return run(linked.function(function), args, new CallContext());
    }

    /**
     * {@link #call(String, Map)} on the runtime's executor. Cancelling the future stops the guest
     * at its next epoch tick (the future then completes as cancelled).
     */
    public CompletableFuture<JsonNode> callAsync(String function, Map<String, ?> args) {
        JsonNode json = runtime.json().valueToTree(args);
        return async(call -> callJson(function, json, call));
    }

    /** {@link #call(String, Val...)} on the runtime's executor; cancelling the future stops the guest. */
    public CompletableFuture<Val> callAsync(String function, Val... args) {
        List<Val> values = List.of(args);
        return async(call -> run(linked.function(function), values, call));
    }

    private JsonNode callJson(String function, JsonNode args, CallContext call) {
        ExportedFunction f = linked.function(function);
        Val result = run(f, JsonValues.arguments(args, f.type()), call);
        return result == null ? MissingNode.getInstance() : JsonValues.toJson(result);
    }

    private Val run(ExportedFunction function, List<Val> args, CallContext call) {
        if (!runtime.enter(call)) {
            throw new IllegalStateException("the runtime is closed");
        }
        try {
            return linked.sandbox.call(function, args, callPolicy, runtime.environment(), call);
        } finally {
            runtime.exit(call);
        }
    }

    private <T> CompletableFuture<T> async(Function<CallContext, T> work) {
        CallContext call = new CallContext();
        CallFuture<T> future = new CallFuture<>(call);
        try {
            runtime.executor().execute(() -> {
                if (future.isDone()) {
                    return; // cancelled before it started
                }
                try {
                    future.complete(work.apply(call));
                } catch (Throwable t) {
                    future.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new IllegalStateException("the runtime is closed", e));
        }
        return future;
    }

    /** A call's future whose cancellation also stops the guest. */
    private static final class CallFuture<T> extends CompletableFuture<T> {
        private final CallContext call;

        CallFuture(CallContext call) {
            this.call = call;
        }

        /**
         * Marks the future cancelled first, then stops the guest: the other order let the stopped
         * call complete the future with its trap in between, and cancel answer false.
         */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                call.cancel("the caller cancelled the call");
            }
            return cancelled;
        }
    }

    /**
     * Unloads the component: new calls are refused, calls in flight finish, then its compiled code
     * is released. A {@link #withPolicy} view's close does nothing.
     */
    @Override
    public void close() {
        if (owner) {
            runtime.forget(this);
            linked.sandbox.close();
        }
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.policy.PolicyEditor;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-component quotas: a component at its quota of calls in flight or per minute has its next call
 * refused with why (audited, recorded on the call), while other components' calls go on, and a
 * quota changed in the policy applies to the next call.
 */
class QuotaTest {
    /** Each call on a thread of its own (the common pool may have one thread, which the spinning call would hold). */
    private static final java.util.concurrent.Executor OWN_THREAD = task -> Thread.ofPlatform().daemon().start(task);

    @TempDir
    Path dir;

    /** A host with spin.wasm and types.wasm loaded as "spin" and "types". */
    private ComponentHost hostWithSpinAndTypes() throws Exception {
        // A deadline far beyond the test's bounds: only the cancellation ends a spinning call.
        ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofMinutes(10))
                .maxResultBytes(1 << 20).build());
        host.load("spin", Files.readAllBytes(Fixtures.path("spin.wasm")));
        host.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
        return host;
    }

    @Test
    void aComponentAtItsConcurrentCallsWaitsThenIsRefusedWhileOthersGoOn() throws Exception {
        try (ComponentHost host = hostWithSpinAndTypes()) {
            host.store().update("spin", p -> PolicyEditor.grantQuota(p, "concurrent_calls", 1));
            ExportedFunction spin = host.component("spin").sandbox().component().export("spin");
            ExportedFunction ok = host.component("spin").sandbox().component().export("ok");
            ExportedFunction add = function(host, "types", "add");

            CallContext holder = new CallContext();
            CompletableFuture<Object> held = CompletableFuture.supplyAsync(() -> outcome(() -> host.call("spin", spin, List.of(), holder)), OWN_THREAD);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!holder.isRunning() && !held.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(holder.isRunning(), "the first call holds the component's only slot");

            // The next call of that component waits for the slot, then is refused; nothing of it ran.
            CallContext refused = new CallContext();
            CompletableFuture<Object> waiting = CompletableFuture.supplyAsync(() -> outcome(() -> host.call("spin", ok, List.of(), refused)), OWN_THREAD);
            // Meanwhile another component's calls are served: its own quotas only.
            for (int i = 0; i < 20; i++) {
                assertEquals(new Val.S32(i + 1), host.call("types", add, List.of(new Val.S32(i), new Val.S32(1))));
            }
            QuotaExceededException e = (QuotaExceededException) waiting.get(30, TimeUnit.SECONDS);
            assertTrue(e.getMessage().contains("concurrent_calls (1)"), e.getMessage());
            assertEquals(0, refused.instantiateNanos(), "a refused call never reaches the component");
            assertEquals(List.of(Audit.Category.QUOTA), refused.denials().stream().map(CallContext.Denial::category).toList());
            assertEquals(1, host.audit().count(Audit.Category.QUOTA));
            assertTrue(holder.isRunning(), "the holder ran all along");

            holder.cancel("test done");
            assertEquals(TrapException.Kind.CANCELLED, ((TrapException) held.get(30, TimeUnit.SECONDS)).kind());
            assertEquals(new Val.U32(42), host.call("spin", ok, List.of()), "the freed slot serves the next call");
        }
    }

    @Test
    void callsBeyondTheirPerMinuteQuotaAreRefusedAtOnceAndAChangedQuotaAppliesToTheNextCall() throws Exception {
        try (ComponentHost host = hostWithSpinAndTypes()) {
            host.store().update("types", p -> PolicyEditor.grantQuota(p, "calls_per_minute", 3));
            ExportedFunction add = function(host, "types", "add");
            ExportedFunction ok = host.component("spin").sandbox().component().export("ok");
            for (int i = 0; i < 3; i++) {
                assertEquals(new Val.S32(2), host.call("types", add, List.of(new Val.S32(1), new Val.S32(1))));
            }
            QuotaExceededException e = assertThrows(QuotaExceededException.class,
                    () -> host.call("types", add, List.of(new Val.S32(1), new Val.S32(1))));
            assertTrue(e.getMessage().contains("calls_per_minute (3)") && e.getMessage().contains("allowed in"), e.getMessage());
            assertEquals(new Val.U32(42), host.call("spin", ok, List.of()), "another component is not limited");

            host.store().update("types", p -> PolicyEditor.revokeQuota(p, "calls_per_minute"));
            assertEquals(new Val.S32(3), host.call("types", add, List.of(new Val.S32(1), new Val.S32(2))), "the quota removed, calls go on");
            assertFalse(host.store().policy("types").resources().quotas().callsPerMinute() != null);
        }
    }

    private static ExportedFunction function(ComponentHost host, String id, String name) {
        return host.component(id).functions().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
    }

    private interface Call {
        Object run() throws Exception;
    }

    private static Object outcome(Call call) {
        try {
            return call.run();
        } catch (Exception e) {
            return e;
        }
    }
}

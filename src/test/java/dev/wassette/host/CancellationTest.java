package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
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

/** A call cancelled from another thread stops its guest at once, far inside its deadline, and frees the component for the next call. */
class CancellationTest {
    @TempDir
    Path dir;

    @Test
    void cancellingStopsASpinningGuestAndTheComponentServesOn() throws Exception {
        // A deadline far beyond the test's bounds: only the cancellation can end the call in time.
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofMinutes(10)).maxResultBytes(1 << 20).build())) {
            host.load("spin", Files.readAllBytes(Fixtures.path("spin.wasm")));
            var spin = host.component("spin").sandbox().component().export("spin");
            var ok = host.component("spin").sandbox().component().export("ok");
            CallContext call = new CallContext();
            CompletableFuture<Object> outcome = CompletableFuture.supplyAsync(() -> {
                try {
                    return host.call("spin", spin, List.of(), call);
                } catch (Exception e) {
                    return e;
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!call.isRunning() && !outcome.isDone() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(call.isRunning(), "the guest is spinning");
            call.cancel("user pressed stop");
            Object result = outcome.get(30, TimeUnit.SECONDS);
            TrapException trap = assertInstanceOfTrap(result);
            assertEquals(TrapException.Kind.CANCELLED, trap.kind());
            assertTrue(trap.getMessage().contains("user pressed stop"), trap.getMessage());
            assertTrue(call.executeNanos() > 0, "the split is recorded on failure too");
            assertEquals(new Val.U32(42), host.call("spin", ok, List.of()));
        }
    }

    @Test
    void aCallCancelledBeforeItStartsNeverRuns() throws Exception {
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofMinutes(10)).maxResultBytes(1 << 20).build())) {
            host.load("spin", Files.readAllBytes(Fixtures.path("spin.wasm")));
            CallContext call = new CallContext();
            call.cancel("too late");
            TrapException trap = assertInstanceOfTrap(callCatching(host, call));
            assertEquals(TrapException.Kind.CANCELLED, trap.kind());
            assertEquals(0, call.executeNanos());
        }
    }

    private static Object callCatching(ComponentHost host, CallContext call) {
        try {
            return host.call("spin", host.component("spin").sandbox().component().export("spin"), List.of(), call);
        } catch (Exception e) {
            return e;
        }
    }

    private static TrapException assertInstanceOfTrap(Object o) {
        assertTrue(o instanceof TrapException, () -> "expected a trap, got " + o);
        return (TrapException) o;
    }
}

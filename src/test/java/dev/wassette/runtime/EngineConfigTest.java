package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Engine settings beyond the defaults: pooling allocator, no limits, closed handles. */
class EngineConfigTest {
    @Test
    void poolingAllocatorRunsComponents() throws Exception {
        byte[] types = Files.readAllBytes(Fixtures.path("types.wasm"));
        try (Engine pooled = Engine.builder().poolingAllocator(8, 64L << 20).build();
             Component c = pooled.compile(types);
             Linker linker = new Linker(pooled);
             InstancePre pre = linker.addWasip2().instantiatePre(c)) {
            for (int i = 0; i < 20; i++) { // more calls than slots: slots are reused
                try (Store store = new Store(pooled, StoreConfig.defaults().wasi(new WasiConfig()))) {
                    assertEquals(new Val.Str("Hello, " + i + "!"), pre.instantiate(store).call("greet", new Val.Str(String.valueOf(i))));
                }
            }
        }
    }

    @Test
    void aSlotReusedByTheNextCallStartsFromTheComponentsInitialState() throws Exception {
        // One slot: every call reuses it. A call that counted in memory, grew it and wrote into the
        // new page must leave nothing for the next (residue.wat returns 2001 from a fresh instance).
        try (Engine pooled = Engine.builder().poolingAllocator(1, 64L << 20).build();
             Component c = pooled.compile(Fixtures.path("residue.wat"));
             Linker linker = new Linker(pooled);
             InstancePre pre = linker.instantiatePre(c)) {
            try (Store store = new Store(pooled, StoreConfig.defaults())) {
                Instance one = pre.instantiate(store);
                assertEquals(new Val.U32(2001), one.call("bump"));
                assertEquals(new Val.U32(3002), one.call("bump"), "within one instance the state stays");
            }
            for (int i = 0; i < 5; i++) {
                try (Store store = new Store(pooled, StoreConfig.defaults())) {
                    assertEquals(new Val.U32(2001), pre.instantiate(store).call("bump"), "call " + i);
                }
            }
        }
    }

    @Test
    void aStoreWaitsForAFreeSlotUntilItsDeadline() throws Exception {
        byte[] types = Files.readAllBytes(Fixtures.path("types.wasm"));
        try (Engine pooled = Engine.builder().poolingAllocator(1, 64L << 20).build();
             Component c = pooled.compile(types);
             Linker linker = new Linker(pooled);
             InstancePre pre = linker.addWasip2().instantiatePre(c)) {
            assertEquals(1, pooled.instanceSlots());
            java.util.concurrent.CompletableFuture<Val> second;
            java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(1);
            try (Store first = new Store(pooled, StoreConfig.defaults().wasi(new WasiConfig()))) {
                pre.instantiate(first);
                // The only slot is taken: a store with a deadline gives up when it passes.
                try (Store late = new Store(pooled, StoreConfig.defaults().wasi(new WasiConfig()).timeout(java.time.Duration.ofMillis(100)))) {
                    TrapException e = assertThrows(TrapException.class, () -> pre.instantiate(late));
                    assertEquals(TrapException.Kind.TIMEOUT, e.kind());
                    assertTrue(e.getMessage().contains("waiting for one of the engine's 1 instance slots"), e.getMessage());
                }
                // One without waits, and gets the slot when the first store closes.
                second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (Store store = new Store(pooled, StoreConfig.defaults().wasi(new WasiConfig()))) {
                        waiting.countDown();
                        return pre.instantiate(store).call("greet", new Val.Str("later"));
                    }
                });
                assertTrue(waiting.await(30, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(!second.isDone(), "no slot while the first store holds it");
            }
            assertEquals(new Val.Str("Hello, later!"), second.get(30, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    @Test
    void engineWithoutInterruptionOrFuelStillRuns() throws Exception {
        try (Engine plain = Engine.builder().epochInterruption(false).consumeFuel(false).build();
             CoreModule add = CoreModule.compile(plain, Files.readAllBytes(Fixtures.path("add.wat")));
             Store store = new Store(plain, StoreConfig.defaults())) {
            CoreModule.Function f = add.instantiate(store).function("add");
            assertEquals(5, f.callI32(2, 3));
            assertEquals(-2, f.callI32(Integer.MAX_VALUE, Integer.MAX_VALUE));
            assertEquals(-1, store.fuelRemaining());
            assertThrows(WasmtimeException.class, () -> add.instantiate(store).function("sub"));
        }
    }

    @Test
    void closedHandlesFailCleanly() {
        Engine e = Engine.builder().build();
        e.close();
        e.close(); // idempotent
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> e.compile(new byte[] {1}));
        assertTrue(ex.getMessage().contains("closed"));
    }
}

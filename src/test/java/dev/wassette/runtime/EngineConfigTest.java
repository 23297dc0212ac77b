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

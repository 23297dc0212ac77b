package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A runaway guest is stopped by its deadline, fuel or memory limit; the engine keeps serving. */
class LimitsTest {
    private static InstancePre spin;
    private static InstancePre bomb;

    @BeforeAll
    static void link() {
        try (Linker linker = new Linker(Fixtures.engine())) {
            linker.addWasip2();
            spin = linker.instantiatePre(Fixtures.component("spin.wasm"));
            bomb = linker.instantiatePre(Fixtures.component("bomb.wasm"));
        }
    }

    @AfterAll
    static void close() {
        spin.close();
        bomb.close();
    }

    private static Val call(InstancePre pre, StoreConfig config, String fn, Val... args) {
        try (Store store = new Store(Fixtures.engine(), config.wasi(new WasiConfig()))) {
            return pre.instantiate(store).call(fn, args);
        }
    }

    @Test
    void infiniteLoopEndsAtItsDeadline() {
        long start = System.nanoTime();
        TrapException e = assertThrows(TrapException.class,
                () -> call(spin, StoreConfig.defaults().timeout(Duration.ofMillis(200)), "spin"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(TrapException.Kind.TIMEOUT, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("deadline"), e.getMessage());
        assertTrue(ms >= 150 && ms < 10_000, "stopped after " + ms + " ms");
        assertEquals(new Val.U32(42), call(spin, StoreConfig.defaults(), "ok"));
    }

    @Test
    void infiniteLoopRunsOutOfFuel() {
        TrapException e = assertThrows(TrapException.class, () -> call(spin, StoreConfig.defaults().fuel(5_000_000), "spin"));
        assertEquals(TrapException.Kind.OUT_OF_FUEL, e.kind(), e.getMessage());
        assertEquals(new Val.U32(42), call(spin, StoreConfig.defaults().fuel(5_000_000), "ok"));
    }

    @Test
    void allocationBombStopsAtTheMemoryLimit() {
        long limit = 64L << 20;
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().memoryLimit(limit).wasi(new WasiConfig()))) {
            Val total = bomb.instantiate(store).call("allocate", new Val.U32(4));
            long bytes = ((Val.U64) total).bits();
            assertTrue(bytes > 0 && bytes <= limit, "allocated " + bytes + " bytes under a " + limit + " byte limit");
        } catch (TrapException e) {
            assertEquals(TrapException.Kind.MEMORY_LIMIT, e.kind(), e.getMessage());
        }
        assertEquals(new Val.U32(42), call(bomb, StoreConfig.defaults().memoryLimit(limit), "ok"));
    }

    @Test
    void limitsNeedTheEngineFeature() {
        try (Engine plain = Engine.builder().epochInterruption(false).consumeFuel(false).build()) {
            assertThrows(IllegalArgumentException.class, () -> new Store(plain, StoreConfig.defaults().timeout(Duration.ofSeconds(1))));
            assertThrows(IllegalArgumentException.class, () -> new Store(plain, StoreConfig.defaults().fuel(10)));
        }
    }
}

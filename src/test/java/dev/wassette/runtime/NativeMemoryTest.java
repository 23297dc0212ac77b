package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * 10 000 calls, each in a fresh store and instance from one pre-instantiated component, must not
 * grow native memory: every native handle and upcall registration is released.
 */
class NativeMemoryTest {
    private static final String ECHO = "wassette:fixtures/types@0.1.0#echo-string";

    @Test
    void tenThousandCallsKeepNativeMemoryFlat() throws IOException {
        Val arg = new Val.Str("x".repeat(1024));
        try (Linker linker = new Linker(Fixtures.engine());
             InstancePre pre = linker.addWasip2().instantiatePre(Fixtures.component("types.wasm"))) {
            ExportedFunction echo = pre.component().export(ECHO);
            runCalls(pre, echo, arg, 2_000); // warm up: JIT, allocator pools, caches
            int targetsBefore = Upcalls.liveTargets();
            long rssBefore = settledRss();
            long heapBefore = heapCommitted();
            runCalls(pre, echo, arg, 10_000);
            long rssAfter = settledRss();
            long heapAfter = heapCommitted();
            long nativeGrowth = (rssAfter - rssBefore) - Math.max(0, heapAfter - heapBefore);
            System.out.printf("10000 calls: RSS %d KiB -> %d KiB, heap committed %d KiB -> %d KiB, native growth %d KiB%n",
                    rssBefore >> 10, rssAfter >> 10, heapBefore >> 10, heapAfter >> 10, nativeGrowth >> 10);
            assertEquals(targetsBefore, Upcalls.liveTargets(), "upcall registrations released");
            assertTrue(nativeGrowth < 16L << 20, "native memory grew by " + (nativeGrowth >> 10) + " KiB over 10 000 calls");
        }
    }

    private static void runCalls(InstancePre pre, ExportedFunction echo, Val arg, int n) {
        for (int i = 0; i < n; i++) {
            try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
                Val out = pre.instantiate(store).call(echo, java.util.List.of(arg));
                if (!out.equals(arg)) {
                    throw new AssertionError("echo returned " + out);
                }
            }
        }
    }

    private static long settledRss() throws IOException {
        System.gc();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) << 10;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static long heapCommitted() {
        var mem = ManagementFactory.getMemoryMXBean();
        return mem.getHeapMemoryUsage().getCommitted() + mem.getNonHeapMemoryUsage().getCommitted();
    }
}

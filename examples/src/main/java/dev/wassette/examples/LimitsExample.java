package dev.wassette.examples;

import dev.wassette.SandboxedComponent;
import dev.wassette.WassetteRuntime;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runaway guests are stopped, and the component serves the next call: an endless loop by the
 * call's deadline and by a CPU share, an allocation loop by a memory limit.
 *
 * <pre>java -cp … dev.wassette.examples.LimitsExample spin.wasm bomb.wasm</pre>
 *
 * {@code spin.wasm} exports {@code spin} (loops forever) and {@code ok} (returns 42);
 * {@code bomb.wasm} exports {@code allocate(mib-per-step: u32) -> u64}, which allocates until
 * allocation fails and returns how many bytes it got.
 */
public final class LimitsExample {
    public static void main(String[] args) throws Exception {
        try (WassetteRuntime wassette = WassetteRuntime.builder().callTimeout(Duration.ofMillis(500)).build();
             SandboxedComponent spin = wassette.load(Path.of(args[0]), Policy.builder().build());
             SandboxedComponent bomb = wassette.load(Path.of(args[1]), Policy.builder().memoryLimit(32L << 20).build())) {
            try {
                spin.call("spin");
            } catch (TrapException e) {
                System.out.println("spin: " + e.kind()); // TIMEOUT, after 500 ms
            }
            SandboxedComponent tenthOfACore = spin.withPolicy(Policy.builder().cpuMillis(100).build());
            try {
                tenthOfACore.call("spin");
            } catch (TrapException e) {
                System.out.println("spin with 100m of CPU: " + e.kind()); // OUT_OF_FUEL, well before the deadline
            }
            System.out.println("ok: " + ((Val.U32) spin.call("ok")).value());

            long allocated = ((Val.U64) bomb.call("allocate", new Val.U32(4))).bits();
            System.out.println("bomb allocated at most 32 MiB: " + (allocated > 0 && allocated <= 32L << 20));
            System.out.println("denials: " + wassette.denials());
        }
    }
}

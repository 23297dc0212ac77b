package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one call path: limits asked for are never dropped, and every limit hit is audited. */
class ComponentSandboxTest {
    @Test
    void anEngineThatCannotEnforceLimitsIsRefusedAtConstruction() throws Exception {
        byte[] echo = Files.readAllBytes(Fixtures.path("echo.wat"));
        for (var engineSettings : List.of(
                Map.entry(Engine.builder().epochInterruption(false), "epoch interruption (call deadlines and cancellation)"),
                Map.entry(Engine.builder().consumeFuel(false), "fuel metering (CPU limits)"))) {
            try (Engine engine = engineSettings.getKey().build()) {
                Component component = engine.compile(echo);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new ComponentSandbox("echo", engine, component, Map.of(), new Audit()));
                assertEquals("components run under policies need an engine with " + engineSettings.getValue()
                        + "; build it with Engine.builder().epochInterruption(true).consumeFuel(true)", e.getMessage());
                component.close();
            }
        }
    }

    @Test
    void limitHitsAreAuditedAndTheComponentServesOn() throws Exception {
        Audit audit = new Audit();
        Component spin = Fixtures.engine().compile(Files.readAllBytes(Fixtures.path("spin.wasm")));
        try (ComponentSandbox sandbox = new ComponentSandbox("spin", Fixtures.engine(), spin, Map.of(), audit)) {
            CallPolicy shortCalls = CallPolicy.denyAll(new Limits(Duration.ofMillis(200), 1 << 20));
            CallContext context = new CallContext();
            TrapException e = assertThrows(TrapException.class,
                    () -> sandbox.call(spin.export("spin"), List.of(), shortCalls, key -> null, context));
            assertEquals(TrapException.Kind.TIMEOUT, e.kind(), e.getMessage());
            assertEquals(1, audit.count(Audit.Category.TIMEOUT));
            assertEquals(List.of(new CallContext.Denial(Audit.Category.TIMEOUT, e.getMessage())), context.denials());
            assertTrue(context.instantiateNanos() > 0, "timings are recorded whatever the outcome");

            CallPolicy tinyResults = CallPolicy.denyAll(new Limits(Duration.ofSeconds(5), 1));
            TrapException big = assertThrows(TrapException.class,
                    () -> sandbox.call(spin.export("ok"), List.of(), tinyResults, key -> null, new CallContext()));
            assertEquals(TrapException.Kind.RESULT_LIMIT, big.kind());
            assertEquals(1, audit.count(Audit.Category.RESULT_SIZE));
            assertEquals(new Val.U32(42), sandbox.call(spin.export("ok"), List.of(), shortCalls, key -> null, new CallContext()));
        }
    }
}

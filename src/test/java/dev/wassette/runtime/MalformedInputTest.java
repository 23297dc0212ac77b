package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Bad bytes give a clear error and leave the engine working. */
class MalformedInputTest {
    private static String compileError(byte[] bytes) {
        return assertThrows(WasmtimeException.class, () -> Fixtures.engine().compile(bytes)).getMessage();
    }

    @Test
    void garbageTruncatedAndWrongKindsAreRejected() throws Exception {
        assertEquals("cannot compile component: input is empty", compileError(new byte[0]));
        assertTrue(compileError(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, (byte) 0xff}).startsWith("cannot compile component: "));
        byte[] types = Files.readAllBytes(Fixtures.path("types.wasm"));
        String truncated = compileError(Arrays.copyOf(types, types.length / 2));
        assertTrue(truncated.startsWith("cannot compile component: "), truncated);
        String core = compileError("(module (func (export \"f\")))".getBytes());
        assertTrue(core.contains("component"), core);
        String text = compileError("(component (core module $m (func $f (result i32) i64.const 1)))".getBytes());
        assertTrue(text.contains("type mismatch"), text);
        assertThrows(WasmtimeException.class, () -> Fixtures.engine().deserialize(new byte[] {1, 2, 3}));
        // The engine is unharmed.
        assertEquals(28, Fixtures.component("types.wasm").exports().size());
    }

    @Test
    void precompiledArtifactsRoundTrip() {
        Component original = Fixtures.component("types.wasm");
        byte[] artifact = original.serialize();
        try (Component loaded = Fixtures.engine().deserialize(artifact)) {
            assertEquals(original.exports(), loaded.exports());
        }
    }

    @Test
    void componentTextIsAccepted() throws Exception {
        try (Component echo = Fixtures.engine().compile(Fixtures.path("echo.wat"));
             Linker linker = new Linker(Fixtures.engine());
             Store store = new Store(Fixtures.engine(), StoreConfig.defaults())) {
            assertEquals(new Val.Str("round trip ✓"), linker.instantiate(store, echo).call("echo", new Val.Str("round trip ✓")));
        }
    }
}

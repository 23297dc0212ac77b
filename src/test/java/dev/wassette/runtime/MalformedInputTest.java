package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bad bytes give a clear error and leave the engine working. */
class MalformedInputTest {
    private static String compileError(byte[] bytes) {
        return assertThrows(WasmtimeException.class, () -> Fixtures.engine().compile(bytes)).getMessage();
    }

    @Test
    void garbageTruncatedAndWrongKindsAreRejected() throws Exception {
        assertEquals("cannot compile component: input is empty", compileError(new byte[0]));
        byte[] types = Files.readAllBytes(Fixtures.path("types.wasm"));
        String truncated = compileError(Arrays.copyOf(types, types.length / 2));
        assertTrue(truncated.startsWith("invalid WebAssembly component: "), truncated);
        String text = compileError("(component (core module $m (func $f (result i32) i64.const 1)))".getBytes());
        assertTrue(text.startsWith("cannot compile component text: ") && text.contains("type mismatch"), text);
        assertThrows(WasmtimeException.class, () -> Fixtures.engine().deserialize(new byte[] {1, 2, 3}));
        // The engine is unharmed.
        assertEquals(28, Fixtures.component("types.wasm").exports().size());
    }

    @Test
    void inputThatIsNoComponentSaysWhatItIsNot() {
        String notWasm = "not a WebAssembly component: no wasm magic number (\\0asm) at its start, "
                + "and not component text (which starts with \"(component\")";
        // Before: the text parser's "expected `(`" for the first byte of a YAML file.
        assertEquals(notWasm, compileError("version: \"1.0\"\npermissions: {}\n".getBytes()));
        assertEquals(notWasm, compileError(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10}));
        assertEquals(notWasm, compileError(";; only a comment\n  component\n".getBytes()));
        String core = compileError(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        assertTrue(core.startsWith("input is a core WebAssembly module, not a component"), core);
        String coreText = compileError(";; core\n(; block (; nested ;) ;)\n( module (func (export \"f\")))".getBytes());
        assertTrue(coreText.startsWith("input is core WebAssembly module text"), coreText);
        assertTrue(compileError(new byte[] {0, 'a', 's', 'm', 13}).startsWith("truncated WebAssembly: 5 bytes"));
        String badHeader = compileError(new byte[] {0, 'a', 's', 'm', 13, 0, 1, 0, (byte) 0xff});
        assertTrue(badHeader.startsWith("invalid WebAssembly component: "), badHeader);
        // Text that starts like component text keeps the parser's message, which says where it broke.
        String broken = compileError("(component (export".getBytes());
        assertTrue(broken.startsWith("cannot compile component text: ") && broken.contains("<anon>:1:"), broken);
        // A byte-order mark is text the parser rejects; it says so better than "not component text".
        String bom = compileError("\uFEFF(component)".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(bom.startsWith("cannot compile component text: "), bom);
        // Comments and blank lines before "(component" are fine.
        try (Component empty = Fixtures.engine().compile(";; a comment\n(; block ;)\n\n(component)".getBytes())) {
            assertTrue(empty.exports().isEmpty() && empty.imports().isEmpty());
        }
    }

    @Test
    void importsAreListedWithTheirKinds() {
        Component c = Fixtures.component("imports.wat");
        assertEquals(List.of(
                new ComponentImport("wasi:random/random@0.2.0", ComponentImport.Kind.INSTANCE),
                new ComponentImport("wasi:cli/environment@0.2.3", ComponentImport.Kind.INSTANCE),
                new ComponentImport("wassette:host/log@0.1.0", ComponentImport.Kind.INSTANCE),
                new ComponentImport("wasi:config/store@0.2.0-draft", ComponentImport.Kind.INSTANCE),
                new ComponentImport("acme:missing/thing@1.0.0", ComponentImport.Kind.INSTANCE),
                new ComponentImport("frob", ComponentImport.Kind.FUNCTION)), c.imports());
        assertEquals(List.of("ok"), c.exports().stream().map(ExportedFunction::name).toList());
        assertTrue(Fixtures.component("types.wasm").imports().isEmpty());
    }

    @Test
    void precompiledArtifactsRoundTrip() {
        Component original = Fixtures.component("types.wasm");
        byte[] artifact = original.serialize();
        try (Component loaded = Fixtures.engine().deserialize(artifact)) {
            assertEquals(original.exports(), loaded.exports());
            assertEquals(original.imports(), loaded.imports());
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

package dev.wassette.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wassette.Fixtures;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.CoreModule;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.WasmText;
import dev.wassette.runtime.WasmtimeException;
import dev.wassette.tools.ToolSchemas;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile component bytes: raw bytes, text, and mutations of real components (the fixtures built
 * from source), of core modules and of random valid modules from {@code wasm-tools smith} (made by
 * the fixture build), each also wrapped as a component, are compiled; what compiles has its exports'
 * types read across FFM and turned into tool schemas. A bad component must end in a
 * {@link WasmtimeException} (or a clean refusal of a type the tools cannot serve), never in another
 * exception or a crash of the JVM.
 */
class ComponentBytesFuzzTest {
    private static List<byte[]> bases;
    private static List<byte[]> modules;

    private static synchronized List<byte[]> bases() {
        if (bases == null) {
            try {
                List<byte[]> out = new ArrayList<>();
                for (String name : List.of("types.wasm", "spin.wasm", "echo.wat", "add.wat", "imports.wat", "recurse.wat")) {
                    byte[] bytes = Files.readAllBytes(Fixtures.path(name));
                    out.add(name.endsWith(".wat") ? binary(bytes) : bytes);
                }
                bases = out;
                List<byte[]> cores = new ArrayList<>(List.of(
                        binaryModule("(module (memory 1) (func (export \"f\") (param i32) (result i32) local.get 0))"),
                        binaryModule("(module (table 2 funcref) (global (mut i64) (i64.const 7)) (func $g) (elem (i32.const 0) $g) (start $g))")));
                try (var smith = Files.list(Fixtures.path("types.wasm").resolveSibling("smith"))) {
                    for (java.nio.file.Path module : smith.sorted().toList()) {
                        cores.add(Files.readAllBytes(module));
                    }
                }
                if (cores.size() < 18) {
                    throw new IllegalStateException("the fixture build made no wasm-tools smith modules beside " + Fixtures.path("types.wasm"));
                }
                modules = cores;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bases;
    }

    @FuzzTest(maxDuration = "10s")
    void badComponentsFailToCompileCleanly(FuzzedDataProvider data) {
        List<byte[]> fixtures = bases();
        switch (data.consumeInt(0, 4)) {
            case 0 -> compileComponent(data.consumeRemainingAsBytes()); // raw, or text
            case 1 -> compileModule(data.consumeRemainingAsBytes());
            case 2 -> compileComponent(mutate(fixtures.get(data.consumeInt(0, fixtures.size() - 1)), data));
            case 3 -> compileModule(mutate(modules.get(data.consumeInt(0, modules.size() - 1)), data));
            default -> compileComponent(wrapped(mutate(modules.get(data.consumeInt(0, modules.size() - 1)), data)));
        }
    }

    private static void compileComponent(byte[] bytes) {
        try (Component component = Fixtures.engine().compile(bytes)) {
            for (ExportedFunction f : component.exports()) {
                var input = ToolSchemas.inputSchema(f.type());
                assertEquals("object", input.path("type").asText(), input::toString);
                assertEquals(f.type().params().size(), input.path("properties").size(), () -> f.name() + ": one property per parameter: " + input);
                var output = ToolSchemas.outputSchema(f.type());
                assertTrue(output == null || "object".equals(output.path("type").asText()), () -> String.valueOf(output));
            }
        } catch (WasmtimeException e) {
            assertRefusalSaysWhy(e);
        }
    }

    /** A clean refusal names what is wrong. */
    private static void assertRefusalSaysWhy(WasmtimeException e) {
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "a refusal without a reason");
    }

    private static void compileModule(byte[] bytes) {
        try (CoreModule module = CoreModule.compile(Fixtures.engine(), bytes)) {
            assertNotNull(module);
        } catch (WasmtimeException e) {
            assertRefusalSaysWhy(e);
        }
    }

    /** Up to 8 edits of {@code base} chosen by the fuzzer: overwrite, insert, delete or truncate. */
    private static byte[] mutate(byte[] base, FuzzedDataProvider data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(base.length + 16);
        byte[] b = base.clone();
        int edits = data.consumeInt(0, 8);
        for (int i = 0; i < edits && b.length > 0; i++) {
            int at = data.consumeInt(0, b.length - 1);
            switch (data.consumeInt(0, 3)) {
                case 0 -> b[at] = data.consumeByte();
                case 1 -> {
                    byte[] inserted = data.consumeBytes(data.consumeInt(1, 8));
                    byte[] grown = new byte[b.length + inserted.length];
                    System.arraycopy(b, 0, grown, 0, at);
                    System.arraycopy(inserted, 0, grown, at, inserted.length);
                    System.arraycopy(b, at, grown, at + inserted.length, b.length - at);
                    b = grown;
                }
                case 2 -> {
                    int n = Math.min(data.consumeInt(1, 16), b.length - at);
                    byte[] shrunk = new byte[b.length - n];
                    System.arraycopy(b, 0, shrunk, 0, at);
                    System.arraycopy(b, at + n, shrunk, at, b.length - at - n);
                    b = shrunk;
                }
                default -> b = java.util.Arrays.copyOf(b, at);
            }
        }
        out.writeBytes(b);
        return out.toByteArray();
    }

    /** A component holding one core module (component binary: preamble, then a core-module section). */
    private static byte[] wrapped(byte[] module) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(module.length + 16);
        out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});
        out.write(0x01); // core module section
        long size = module.length;
        do {
            int b = (int) (size & 0x7f);
            size >>>= 7;
            out.write(size == 0 ? b : b | 0x80);
        } while (size != 0);
        out.writeBytes(module);
        return out.toByteArray();
    }

    private static byte[] binary(byte[] text) {
        return WasmText.toBinary(text);
    }

    private static byte[] binaryModule(String wat) {
        return WasmText.toBinary(wat.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}

package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decoding of {@code wassette_component_describe}'s encoding; real components' types are in {@link ComponentTypesTest}. */
class TypeReaderTest {

    /** Builds an encoded description the way native/src/describe.rs writes one. */
    private static final class Encoder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Encoder u8(int v) {
            out.write(v);
            return this;
        }

        Encoder u32(long v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            return this;
        }

        Encoder str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            out.writeBytes(b);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    @Test
    void decodesImportsAndFunctionsWithNestedTypes() {
        byte[] bytes = new Encoder().u8(1)
                .u32(2).str("wasi:cli/environment@0.2.0").u8(1).u8(0).str("frob").u8(3).u8(0)
                .u32(2)
                // world-level: greet(name: string) -> result<list<u8>, enum { a, b }>
                .u8(0).str("greet").u32(1).str("name").u8(12)
                .u8(1).u8(19).u8(1).u8(13).u8(5).u8(1).u8(17).u32(2).str("a").str("b")
                // in an interface: f(v: variant { x(option<char>), y }, m: map<string, flags { r }>), no result; a fixed-length list is unsupported
                .u8(1).str("my:pkg/iface").str("f").u32(3)
                .str("v").u8(16).u32(2).str("x").u8(1).u8(18).u8(11).str("y").u8(0)
                .str("m").u8(26).u8(12).u8(20).u32(1).str("r")
                .str("fixed").u8(0xff).str("fixed-length list")
                .u8(0)
                .bytes();
        TypeReader.Description d = TypeReader.read(bytes);
        assertEquals(List.of(new ComponentImport("wasi:cli/environment@0.2.0", ComponentImport.Kind.INSTANCE, false),
                new ComponentImport("frob", ComponentImport.Kind.FUNCTION)), d.imports());
        assertEquals(2, d.exports().size());
        ExportedFunction greet = d.exports().get(0);
        assertNull(greet.interfaceName());
        assertEquals("func(name: string) -> result<list<u8>, enum { a, b }>", greet.type().wit());
        ExportedFunction f = d.exports().get(1);
        assertEquals("my:pkg/iface", f.interfaceName());
        assertEquals("f", f.name());
        assertEquals("func(v: variant { x(option<char>), y }, m: map<string, flags { r }>, fixed: fixed-length list)",
                f.type().wit());
    }

    @Test
    void malformedDescriptionsAreClearErrorsNotHugeAllocations() {
        List<byte[]> malformed = List.of(
                new byte[0],
                new Encoder().u8(2).u32(0).u32(0).bytes(),                       // another format
                new Encoder().u8(1).u32(0).bytes(),                              // truncated before the functions
                new Encoder().u8(1).u32(0xffff_ffffL).bytes(),                   // a count beyond the input
                new Encoder().u8(1).u32(1).u32(0x7fff_0000L).bytes(),            // a name longer than the input
                new Encoder().u8(1).u32(0).u32(1).u8(0).str("f").u32(1).str("p").u8(99).bytes(), // an unknown type code
                new Encoder().u8(1).u32(0).u32(0).u8(7).bytes());                // bytes after the end
        for (byte[] bytes : malformed) {
            WasmtimeException e = assertThrows(WasmtimeException.class, () -> TypeReader.read(bytes));
            assertTrue(e.getMessage().startsWith("cannot read the component's types"), e.getMessage());
        }
    }
}

package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.tools.InvalidArgumentException;
import dev.wassette.tools.JsonValues;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lists across the component boundary, both ways: scalar lists as primitive arrays ({@link ScalarList})
 * and lists of records, through the C fixture {@code types.wasm} and a text-format component that
 * echoes a list of every scalar type and of records.
 */
class ListMarshallingTest {
    private static final String TYPES = ComponentTypesTest.TYPES + "#";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One core function echoes (ptr, len); it is lifted once per list type (the bytes are the same). */
    private static final String LISTS_WAT = """
            (component
              (core module $m
                (memory (export "memory") 1)
                (global $heap (mut i32) (i32.const 1024))
                (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
                  (local $ptr i32) (local $end i32)
                  (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                                           (i32.xor (i32.sub (local.get 2) (i32.const 1)) (i32.const -1))))
                  (local.set $end (i32.add (local.get $ptr) (local.get 3)))
                  (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
                    (then (if (i32.eq (memory.grow (i32.div_u (i32.add (i32.sub (local.get $end)
                                  (i32.mul (memory.size) (i32.const 65536))) (i32.const 65535)) (i32.const 65536)))
                                (i32.const -1))
                            (then unreachable))))
                  (global.set $heap (local.get $end))
                  (local.get $ptr))
                (func (export "echo") (param i32 i32) (result i32)
                  (i32.store (i32.const 8) (local.get 0))
                  (i32.store (i32.const 12) (local.get 1))
                  (i32.const 8))
                (func (export "post") (param i32) (global.set $heap (i32.const 1024))))
              (core instance $i (instantiate $m))
              (alias core export $i "memory" (core memory $mem))
              (alias core export $i "cabi_realloc" (core func $realloc))
              (alias core export $i "echo" (core func $echo))
              (alias core export $i "post" (core func $post))
            %s)
            """;
    private static final String[][] LIST_TYPES = {
        {"bool", "bool"}, {"s8", "s8"}, {"u8", "u8"}, {"s16", "s16"}, {"u16", "u16"}, {"s32", "s32"}, {"u32", "u32"},
        {"s64", "s64"}, {"u64", "u64"}, {"f32", "f32"}, {"f64", "f64"}, {"char", "char"}, {"string", "string"},
        {"row", "$row"},
        {"bytes-list", "(list u8)"},
    };

    private static Component types;
    private static InstancePre typesPre;
    private static Component lists;
    private static InstancePre listsPre;

    @BeforeAll
    static void link() {
        types = Fixtures.component("types.wasm");
        try (Linker linker = new Linker(Fixtures.engine())) {
            typesPre = linker.addWasip2().instantiatePre(types);
        }
        // A record in an exported function's type must itself be an exported type.
        StringBuilder exports = new StringBuilder("""
                  (type $row-t (record (field "id" s64) (field "score" f64) (field "flag" u8) (field "name" string)))
                  (export $row "row" (type $row-t))
                """);
        for (String[] t : LIST_TYPES) {
            exports.append("  (func $").append(t[0]).append(" (param \"v\" (list ").append(t[1]).append(")) (result (list ")
                    .append(t[1]).append("))\n    (canon lift (core func $echo) (memory $mem) (realloc $realloc) (post-return $post)))\n")
                    .append("  (export \"echo-").append(t[0]).append("\" (func $").append(t[0]).append("))\n");
        }
        lists = Fixtures.engine().compile(LISTS_WAT.formatted(exports).getBytes(StandardCharsets.UTF_8));
        try (Linker linker = new Linker(Fixtures.engine())) {
            listsPre = linker.instantiatePre(lists);
        }
    }

    @AfterAll
    static void close() {
        typesPre.close();
        listsPre.close();
        lists.close();
    }

    private static Val callTypes(String function, Val arg) {
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
            return typesPre.instantiate(store).call(TYPES + function, arg);
        }
    }

    private static Val callLists(String function, Val arg) {
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults())) {
            return listsPre.instantiate(store).call(function, arg);
        }
    }

    private static List<Val> generic(List<Val> elements) {
        return new ArrayList<>(elements);
    }

    /** The echo of {@code packed} equals it, comes back packed, and a generic list of the same values echoes the same. */
    private static void roundTrip(String function, ScalarList packed, boolean typesFixture) {
        Val in = new Val.ListVal(packed);
        Val out = typesFixture ? callTypes(function, in) : callLists(function, in);
        assertEquals(in, out, function);
        List<Val> elements = ((Val.ListVal) out).elements();
        if (!packed.isEmpty()) {
            ScalarList back = assertInstanceOf(ScalarList.class, elements, function);
            assertEquals(packed.kind(), back.kind(), function);
        }
        Val slow = new Val.ListVal(generic(packed));
        assertEquals(slow, typesFixture ? callTypes(function, slow) : callLists(function, slow), function + " (a list of Val objects)");
    }

    @Test
    void bytesRoundTripEmptyOneByteEdgesAndOneMebibyte() {
        roundTrip("echo-bytes", ScalarList.ofU8(), true);
        roundTrip("echo-bytes", ScalarList.ofU8((byte) 0), true);
        roundTrip("echo-bytes", ScalarList.ofU8((byte) 255), true);
        roundTrip("echo-bytes", ScalarList.ofU8((byte) 0, (byte) 255, (byte) 128, (byte) 127, (byte) 1), true);
        byte[] mib = new byte[1 << 20];
        for (int i = 0; i < mib.length; i++) {
            mib[i] = (byte) (i * 31 + (i >>> 8));
        }
        mib[mib.length - 1] = (byte) 255;
        Val out = callTypes("echo-bytes", Val.ListVal.ofBytes(mib));
        ScalarList back = assertInstanceOf(ScalarList.class, ((Val.ListVal) out).elements());
        assertArrayEquals(mib, back.toByteArray());
        assertEquals(0, back.longAt(0));
        assertEquals(255, back.longAt(mib.length - 1));
        assertEquals(Val.ListVal.ofBytes(mib), out);
        assertEquals(List.of(), ((Val.ListVal) callTypes("echo-bytes", new Val.ListVal(List.of()))).elements());
    }

    @Test
    void u32ListAtItsLimitsThroughTheCFixture() {
        roundTrip("echo-list", ScalarList.ofU32(0, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, -1), true);
        Val out = callTypes("echo-list", new Val.ListVal(ScalarList.ofU32(-1, 0)));
        assertEquals(List.of(new Val.U32(4294967295L), new Val.U32(0)), ((Val.ListVal) out).elements());
        assertEquals(4294967295L, ((ScalarList) ((Val.ListVal) out).elements()).longAt(0));
    }

    @Test
    void everyScalarListAtItsLimits() {
        roundTrip("echo-bool", ScalarList.ofBool(true, false, false, true), false);
        roundTrip("echo-s8", ScalarList.ofS8(Byte.MIN_VALUE, (byte) -1, (byte) 0, Byte.MAX_VALUE), false);
        roundTrip("echo-u8", ScalarList.ofU8((byte) 0, (byte) 255), false);
        roundTrip("echo-s16", ScalarList.ofS16(Short.MIN_VALUE, (short) -1, (short) 0, Short.MAX_VALUE), false);
        roundTrip("echo-u16", ScalarList.ofU16((short) 0, (short) 0xFFFF, (short) 0x8000), false);
        roundTrip("echo-s32", ScalarList.ofS32(Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE), false);
        roundTrip("echo-u32", ScalarList.ofU32(0, -1, Integer.MIN_VALUE), false);
        roundTrip("echo-s64", ScalarList.ofS64(Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE), false);
        roundTrip("echo-u64", ScalarList.ofU64(0, -1, Long.MIN_VALUE, Long.MAX_VALUE), false);
        roundTrip("echo-f32", ScalarList.ofF32(0f, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, 1.5f), false);
        roundTrip("echo-f64", ScalarList.ofF64(0d, -0d, Double.MIN_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.NaN, Math.PI), false);
        // -0.0 and 0.0 stay apart, as Val.F64 keeps them apart.
        assertNotEquals(new Val.ListVal(ScalarList.ofF64(0d)), callLists("echo-f64", new Val.ListVal(ScalarList.ofF64(-0d))));
        Val u64 = callLists("echo-u64", new Val.ListVal(ScalarList.ofU64(-1)));
        assertEquals("18446744073709551615", JsonValues.toJson(u64).get(0).asText());
        // A long list of one kind, read back in one loop.
        long[] many = IntStream.range(0, 100_000).mapToLong(i -> (long) i * 0x9E3779B97F4A7C15L).toArray();
        roundTrip("echo-s64", ScalarList.ofS64(many), false);
    }

    @Test
    void listsThatStayListsOfValues() {
        Val chars = new Val.ListVal(List.of(new Val.Char('a'), new Val.Char(0x1F980), new Val.Char(0x10FFFF)));
        assertEquals(chars, callLists("echo-char", chars));
        Val strings = new Val.ListVal(List.of(new Val.Str(""), new Val.Str("é✓"), new Val.Str("x".repeat(5000))));
        assertEquals(strings, callLists("echo-string", strings));
        Val nested = new Val.ListVal(List.of(Val.ListVal.ofBytes(new byte[0]), Val.ListVal.ofBytes(new byte[] {0, -1}),
                new Val.ListVal(List.of(new Val.U8(7)))));
        Val out = callLists("echo-bytes-list", nested);
        assertEquals(nested, out);
        for (Val inner : ((Val.ListVal) out).elements()) {
            List<Val> e = ((Val.ListVal) inner).elements();
            assertTrue(e.isEmpty() || e instanceof ScalarList, String.valueOf(e.getClass()));
        }
    }

    @Test
    void listsOfRecordsRoundTrip() {
        List<Val> rows = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rows.add(new Val.RecordVal(List.of(
                    new Val.Field("id", new Val.S64(i == 0 ? Long.MIN_VALUE : i == 999 ? Long.MAX_VALUE : i * 1_000_003L)),
                    new Val.Field("score", new Val.F64(i == 1 ? Double.NaN : i == 2 ? -0d : i / 7d)),
                    new Val.Field("flag", new Val.U8(i & 0xFF)),
                    new Val.Field("name", new Val.Str("row " + i)))));
        }
        Val in = new Val.ListVal(rows);
        assertEquals(in, callLists("echo-row", in));
        assertEquals(new Val.ListVal(List.of()), callLists("echo-row", new Val.ListVal(List.of())));

        List<Val> points = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            points.add(i % 3 == 0 ? Val.OptionVal.NONE : new Val.OptionVal(new Val.RecordVal(List.of(
                    new Val.Field("x", new Val.S32(i == 1 ? Integer.MIN_VALUE : i)),
                    new Val.Field("y", new Val.S32(i == 2 ? Integer.MAX_VALUE : -i))))));
        }
        Val nested = new Val.ListVal(points);
        // Twice on one instance: the second call reuses the scratch memory and overflow chunks.
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
            Instance instance = typesPre.instantiate(store);
            for (int round = 0; round < 3; round++) {
                assertEquals(nested, instance.call(TYPES + "echo-nested", nested));
                assertEquals(Val.ListVal.ofBytes(new byte[] {1, 2}), instance.call(TYPES + "echo-bytes", Val.ListVal.ofBytes(new byte[] {1, 2})));
            }
        }
    }

    @Test
    void aScalarListOfTheWrongTypeIsRejected() {
        WasmtimeException e = assertThrows(WasmtimeException.class, () -> callTypes("echo-list", Val.ListVal.ofBytes(new byte[] {1})));
        assertTrue(e.getMessage().contains("type mismatch") || e.getMessage().contains("expected"), e.getMessage());
    }

    @Test
    void scalarListsAreListsOfVals() {
        ScalarList bytes = ScalarList.ofU8((byte) 0, (byte) 200);
        List<Val> same = List.of(new Val.U8(0), new Val.U8(200));
        assertEquals(same, bytes);
        assertEquals(bytes, same);
        assertEquals(same.hashCode(), bytes.hashCode());
        assertEquals(new Val.ListVal(same), new Val.ListVal(bytes));
        assertNotEquals(ScalarList.ofS8((byte) 0, (byte) 200), bytes); // s8 -56 is not u8 200
        assertEquals(List.of(new Val.S8((byte) 0), new Val.S8((byte) -56)), ScalarList.ofS8((byte) 0, (byte) 200));
        byte[] source = {1, 2, 3};
        ScalarList copy = ScalarList.ofU8(source);
        source[0] = 9;
        assertEquals(1, copy.longAt(0), "factories copy their array");
        assertThrows(UnsupportedOperationException.class, () -> copy.set(0, new Val.U8(5)));
        assertThrows(IndexOutOfBoundsException.class, () -> copy.get(3));
        assertEquals(ScalarList.ofF64(Double.NaN), List.of(new Val.F64(Double.NaN)));
        assertEquals(List.of(new Val.U16(65535), new Val.U32(4294967295L), new Val.U64(-1)),
                List.of(ScalarList.ofU16((short) -1).get(0), ScalarList.ofU32(-1).get(0), ScalarList.ofU64(-1).get(0)));
    }

    @Test
    void jsonListsOfNumbersBecomeScalarListsAndComeBackAsTheSameJson() throws Exception {
        String[][] cases = {
            {"echo-bytes", "[]"}, {"echo-bytes", "[0]"}, {"echo-bytes", "[255]"}, {"echo-bytes", "[0,1,127,128,255]"},
            {"echo-list", "[0,4294967295,2147483648]"},
        };
        for (String[] c : cases) {
            ExportedFunction f = types.export(TYPES + c[0]);
            JsonNode in = JSON.readTree(c[1]);
            List<Val> args = JsonValues.arguments(JSON.createObjectNode().set("v", in), f.type());
            if (!in.isEmpty()) {
                assertInstanceOf(ScalarList.class, ((Val.ListVal) args.get(0)).elements());
            }
            Val out;
            try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
                out = typesPre.instantiate(store).call(f, args);
            }
            assertEquals(in.toString(), JsonValues.toJson(out).toString(), c[0] + " " + c[1]);
        }
        String[][] listCases = {
            {"echo-s64", "[-9223372036854775808,9223372036854775807,0]"}, {"echo-u64", "[18446744073709551615,0,1]"},
            {"echo-f64", "[0.5,-1.0E300,\"NaN\",\"-Infinity\"]"}, {"echo-f32", "[1.5,\"Infinity\"]"},
            {"echo-bool", "[true,false]"}, {"echo-s8", "[-128,127]"}, {"echo-u16", "[65535]"}, {"echo-s16", "[-32768]"},
            {"echo-s32", "[-2147483648,2147483647]"}, {"echo-u32", "[4294967295]"},
        };
        for (String[] c : listCases) {
            ExportedFunction f = lists.export(c[0]);
            JsonNode in = JSON.readTree(c[1]);
            List<Val> args = JsonValues.arguments(JSON.createObjectNode().set("v", in), f.type());
            assertInstanceOf(ScalarList.class, ((Val.ListVal) args.get(0)).elements(), c[0]);
            Val out;
            try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults())) {
                out = listsPre.instantiate(store).call(f, args);
            }
            assertEquals(in.toString(), JsonValues.toJson(out).toString(), c[0] + " " + c[1]);
        }
        // Integral floats and out-of-range values take the general path with its messages and paths.
        WitType bytes = new WitType.ListType(WitType.Primitive.U8);
        assertEquals(Val.ListVal.ofBytes(new byte[] {2, (byte) 255}), JsonValues.fromJson(JSON.readTree("[2.0, 255]"), bytes, "v"));
        for (String bad : List.of("[0, 256]", "[0, -1]", "[0, 1.5]", "[0, \"1\"]", "[0, null]")) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> JsonValues.fromJson(JSON.readTree(bad), bytes, "v"), bad);
            assertTrue(e.getMessage().contains("v[1]"), e.getMessage());
        }
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> JsonValues.fromJson(JSON.readTree("[1, -1]"), new WitType.ListType(WitType.Primitive.U64), "v"));
        assertTrue(e.getMessage().contains("v[1]") && e.getMessage().contains("out of range for u64"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class,
                () -> JsonValues.fromJson(JSON.readTree("[true, 1]"), new WitType.ListType(WitType.Primitive.BOOL), "v"));
        assertTrue(e.getMessage().contains("v[1]"), e.getMessage());
    }
}

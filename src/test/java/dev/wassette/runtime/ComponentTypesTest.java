package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.tools.JsonValues;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every WIT value kind through the C fixture {@code types.wasm}: Java → guest → Java, and JSON → guest → JSON. */
class ComponentTypesTest {
    static final String TYPES = "wassette:fixtures/types@0.1.0";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Component component;
    private static InstancePre pre;

    @BeforeAll
    static void link() {
        component = Fixtures.component("types.wasm");
        try (Linker linker = new Linker(Fixtures.engine())) {
            pre = linker.addWasip2().instantiatePre(component);
        }
    }

    @AfterAll
    static void close() {
        pre.close();
    }

    private static Val call(String function, Val... args) {
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
            return pre.instantiate(store).call(function.contains("#") || function.equals("greet") ? function : TYPES + "#" + function, args);
        }
    }

    @Test
    void introspectionShowsWitSignatures() {
        Map<String, String> sigs = new java.util.HashMap<>();
        component.exports().forEach(f -> sigs.put(f.qualifiedName(), f.type().wit()));
        assertEquals("func(name: string) -> string", sigs.get("greet"));
        assertEquals("func(a: s32, b: s32) -> s32", sigs.get(TYPES + "#add"));
        assertEquals("func()", sigs.get(TYPES + "#nothing"));
        assertEquals("func(v: record { name: string, retries: u8, ratio: f64, tags: list<string>, origin: option<record { x: s32, y: s32 }> }) -> "
                + "record { name: string, retries: u8, ratio: f64, tags: list<string>, origin: option<record { x: s32, y: s32 }> }", sigs.get(TYPES + "#echo-record"));
        assertEquals("func(v: variant { circle(f64), rect(record { x: s32, y: s32 }), empty }) -> variant { circle(f64), rect(record { x: s32, y: s32 }), empty }",
                sigs.get(TYPES + "#echo-variant"));
        assertEquals("func(v: result<string, u32>) -> result<string, u32>", sigs.get(TYPES + "#echo-result"));
        assertEquals("func(v: flags { read, write, exec }) -> flags { read, write, exec }", sigs.get(TYPES + "#echo-flags"));
        assertEquals("func(a: s32, b: s32) -> result<s32, string>", sigs.get(TYPES + "#divide"));
        assertEquals(28, component.exports().size());
    }

    @Test
    void primitivesRoundTripAtTheirLimits() {
        List<List<Val>> cases = List.of(
                List.of(new Val.Bool(true), new Val.Bool(false)),
                List.of(new Val.S8(Byte.MIN_VALUE), new Val.S8(Byte.MAX_VALUE)),
                List.of(new Val.U8(0), new Val.U8(255)),
                List.of(new Val.S16(Short.MIN_VALUE), new Val.S16(Short.MAX_VALUE)),
                List.of(new Val.U16(0), new Val.U16(65535)),
                List.of(new Val.S32(Integer.MIN_VALUE), new Val.S32(Integer.MAX_VALUE)),
                List.of(new Val.U32(0), new Val.U32(4294967295L)),
                List.of(new Val.S64(Long.MIN_VALUE), new Val.S64(Long.MAX_VALUE)),
                List.of(new Val.U64(0), new Val.U64(-1L)),
                List.of(new Val.F32(-1.5f), new Val.F32(Float.MAX_VALUE), new Val.F32(Float.NEGATIVE_INFINITY)),
                List.of(new Val.F64(Math.PI), new Val.F64(-Double.MIN_VALUE), new Val.F64(Double.POSITIVE_INFINITY)),
                List.of(new Val.Char('a'), new Val.Char(0x1F980), new Val.Char(0x10FFFF)),
                List.of(new Val.Str(""), new Val.Str("héllo wörld ✓ \uD83E\uDD80"), new Val.Str("x".repeat(100_000))));
        String[] fns = {"echo-bool", "echo-s8", "echo-u8", "echo-s16", "echo-u16", "echo-s32", "echo-u32", "echo-s64", "echo-u64",
            "echo-f32", "echo-f64", "echo-char", "echo-string"};
        for (int i = 0; i < fns.length; i++) {
            for (Val v : cases.get(i)) {
                assertEquals(v, call(fns[i], v), fns[i]);
            }
        }
        Val nan = call("echo-f64", new Val.F64(Double.NaN));
        assertTrue(Double.isNaN(((Val.F64) nan).value()));
    }

    @Test
    void compoundValuesRoundTrip() {
        Val point = new Val.RecordVal(List.of(new Val.Field("x", new Val.S32(-3)), new Val.Field("y", new Val.S32(4))));
        Val config = new Val.RecordVal(List.of(
                new Val.Field("name", new Val.Str("cfg")),
                new Val.Field("retries", new Val.U8(7)),
                new Val.Field("ratio", new Val.F64(0.25)),
                new Val.Field("tags", new Val.ListVal(List.of(new Val.Str("a"), new Val.Str("")))),
                new Val.Field("origin", new Val.OptionVal(point))));
        assertEquals(config, call("echo-record", config));
        List<Val> values = List.of(
                new Val.ListVal(List.of()),
                new Val.ListVal(List.of(new Val.U32(1), new Val.U32(4294967295L))));
        for (Val v : values) {
            assertEquals(v, call("echo-list", v));
        }
        Val bytes = new Val.ListVal(java.util.stream.IntStream.range(0, 256).mapToObj(Val.U8::new).map(Val.class::cast).toList());
        assertEquals(bytes, call("echo-bytes", bytes));
        Val tuple = new Val.TupleVal(List.of(new Val.Str("t"), new Val.U32(9), new Val.Bool(true)));
        assertEquals(tuple, call("echo-tuple", tuple));
        for (Val v : List.of(new Val.VariantVal("circle", new Val.F64(1.5)), new Val.VariantVal("rect", point), new Val.VariantVal("empty", null))) {
            assertEquals(v, call("echo-variant", v));
        }
        for (String c : List.of("red", "green", "blue")) {
            assertEquals(new Val.EnumVal(c), call("echo-enum", new Val.EnumVal(c)));
        }
        assertEquals(Val.OptionVal.NONE, call("echo-option", Val.OptionVal.NONE));
        assertEquals(new Val.OptionVal(new Val.Str("s")), call("echo-option", new Val.OptionVal(new Val.Str("s"))));
        assertEquals(Val.ResultVal.ok(new Val.Str("fine")), call("echo-result", Val.ResultVal.ok(new Val.Str("fine"))));
        assertEquals(Val.ResultVal.err(new Val.U32(404)), call("echo-result", Val.ResultVal.err(new Val.U32(404))));
        for (List<String> flags : List.of(List.<String>of(), List.of("read"), List.of("read", "write", "exec"), List.of("write", "exec"))) {
            assertEquals(new Val.FlagsVal(flags), call("echo-flags", new Val.FlagsVal(flags)));
        }
        Val nested = new Val.ListVal(List.of(new Val.OptionVal(point), Val.OptionVal.NONE, new Val.OptionVal(point)));
        assertEquals(nested, call("echo-nested", nested));
    }

    @Test
    void everyTypeRoundTripsThroughJson() throws Exception {
        Map<String, String> inputs = Map.ofEntries(
                Map.entry("echo-bool", "true"), Map.entry("echo-s8", "-128"), Map.entry("echo-u8", "255"),
                Map.entry("echo-s16", "-32768"), Map.entry("echo-u16", "65535"), Map.entry("echo-s32", "-2147483648"),
                Map.entry("echo-u32", "4294967295"), Map.entry("echo-s64", "-9223372036854775808"),
                Map.entry("echo-u64", "18446744073709551615"), Map.entry("echo-f32", "1.5"), Map.entry("echo-f64", "-0.125"),
                Map.entry("echo-char", "\"λ\""), Map.entry("echo-string", "\"json ✓\""), Map.entry("echo-list", "[1,2,3]"),
                Map.entry("echo-bytes", "[0,127,255]"),
                Map.entry("echo-record", "{\"name\":\"n\",\"retries\":2,\"ratio\":0.5,\"tags\":[\"x\"],\"origin\":{\"x\":1,\"y\":2}}"),
                Map.entry("echo-tuple", "[\"a\",1,false]"), Map.entry("echo-variant", "{\"tag\":\"rect\",\"val\":{\"x\":1,\"y\":2}}"),
                Map.entry("echo-enum", "\"blue\""), Map.entry("echo-option", "null"), Map.entry("echo-result", "{\"err\":5}"),
                Map.entry("echo-flags", "[\"read\",\"exec\"]"), Map.entry("echo-nested", "[{\"x\":1,\"y\":1},null]"));
        for (Map.Entry<String, String> e : inputs.entrySet()) {
            ExportedFunction f = component.export(TYPES + "#" + e.getKey());
            JsonNode in = JSON.readTree(e.getValue());
            List<Val> args = JsonValues.arguments(JSON.createObjectNode().set("v", in), f.type());
            Val out;
            try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
                out = pre.instantiate(store).call(f, args);
            }
            assertEquals(in.toString(), JsonValues.toJson(out).toString(), e.getKey());
        }
    }

    @Test
    void worldFunctionsResultsAndTraps() {
        assertEquals(new Val.Str("Hello, Ada!"), call("greet", new Val.Str("Ada")));
        assertEquals(new Val.S32(5), call("add", new Val.S32(2), new Val.S32(3)));
        assertNull(call("nothing"));
        assertEquals(Val.ResultVal.ok(new Val.S32(3)), call("divide", new Val.S32(7), new Val.S32(2)));
        Val err = call("divide", new Val.S32(7), new Val.S32(0));
        assertTrue(err instanceof Val.ResultVal r && !r.isOk(), String.valueOf(err));
        TrapException trap = assertThrows(TrapException.class, () -> call("crash"));
        assertEquals(TrapException.Kind.TRAP, trap.kind());
        assertTrue(trap.getMessage().startsWith(TYPES + "#crash: "), trap.getMessage());
        assertTrue(trap.getMessage().contains("unreachable"), trap.getMessage());
        assertTrue(!trap.backtrace().isEmpty(), "guest backtrace");
        // The engine and the pre-instantiated component keep working after a trap.
        assertEquals(new Val.S32(9), call("add", new Val.S32(4), new Val.S32(5)));
    }

    /** Many calls on one instance: argument memory is reused between calls, results must never see stale bytes. */
    @Test
    void repeatedCallsOnOneInstanceWithChangingSizes() {
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
            Instance instance = pre.instantiate(store);
            ExportedFunction echo = component.export(TYPES + "#echo-string");
            ExportedFunction list = component.export(TYPES + "#echo-list");
            int[] sizes = {0, 16, 1024, 40_000, 3, 1024, 17_000, 0, 100};
            for (int round = 0; round < 5; round++) {
                for (int n : sizes) {
                    Val s = new Val.Str("é".repeat(n));
                    assertEquals(s, instance.call(echo, List.of(s)));
                    Val l = new Val.ListVal(java.util.stream.IntStream.range(0, n % 3000).mapToObj(i -> (Val) new Val.U32(i)).toList());
                    assertEquals(l, instance.call(list, List.of(l)));
                }
            }
        }
    }

    @Test
    void wrongArgumentsAreRejectedBeforeTheGuestRuns() {
        WasmtimeException count = assertThrows(WasmtimeException.class, () -> call("add", new Val.S32(1)));
        assertTrue(count.getMessage().contains("takes 2 arguments, got 1"), count.getMessage());
        WasmtimeException type = assertThrows(WasmtimeException.class, () -> call("add", new Val.Str("1"), new Val.S32(1)));
        assertTrue(type.getMessage().contains("type mismatch") || type.getMessage().contains("expected"), type.getMessage());
        assertThrows(WasmtimeException.class, () -> call("no-such-function"));
    }
}

package dev.wassette.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.runtime.FunctionType;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WitType;
import dev.wassette.runtime.WitType.Primitive;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonValuesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final WitType POINT = new WitType.RecordType(List.of(new WitType.Field("x", Primitive.S32), new WitType.Field("y", Primitive.S32)));
    static final WitType CONFIG = new WitType.RecordType(List.of(
            new WitType.Field("name", Primitive.STRING),
            new WitType.Field("retries", Primitive.U8),
            new WitType.Field("ratio", Primitive.F64),
            new WitType.Field("tags", new WitType.ListType(Primitive.STRING)),
            new WitType.Field("origin", new WitType.OptionType(POINT))));
    static final WitType SHAPE = new WitType.VariantType(List.of(
            new WitType.Case("circle", Primitive.F64), new WitType.Case("rect", POINT), new WitType.Case("empty", null)));
    static final WitType COLOR = new WitType.EnumType(List.of("red", "green", "blue"));
    static final WitType PERMS = new WitType.FlagsType(List.of("read", "write", "exec"));
    static final WitType RESULT = new WitType.ResultType(Primitive.STRING, Primitive.U32);
    static final WitType TUPLE = new WitType.TupleType(List.of(Primitive.STRING, Primitive.U32, Primitive.BOOL));

    static final FunctionType CONFIGURE = new FunctionType(List.of(new FunctionType.Param("config", CONFIG)), null);

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static String message(String argsJson, FunctionType type) {
        return assertThrows(InvalidArgumentException.class, () -> JsonValues.arguments(json(argsJson), type)).getMessage();
    }

    @Test
    void everyShapeRoundTrips() throws Exception {
        String[][] cases = {
            {"{\"name\":\"n\",\"retries\":3,\"ratio\":0.5,\"tags\":[\"a\",\"b\"],\"origin\":{\"x\":1,\"y\":-2}}", "config"},
            {"{\"name\":\"\",\"retries\":255,\"ratio\":-1.25,\"tags\":[],\"origin\":null}", "config"},
            {"{\"tag\":\"circle\",\"val\":2.5}", "shape"},
            {"{\"tag\":\"rect\",\"val\":{\"x\":3,\"y\":4}}", "shape"},
            {"{\"tag\":\"empty\"}", "shape"},
            {"\"green\"", "color"},
            {"[\"read\",\"exec\"]", "perms"},
            {"{\"ok\":\"fine\"}", "result"},
            {"{\"err\":7}", "result"},
            {"[\"s\",4294967295,true]", "tuple"},
        };
        for (String[] c : cases) {
            WitType type = switch (c[1]) {
                case "config" -> CONFIG;
                case "shape" -> SHAPE;
                case "color" -> COLOR;
                case "perms" -> PERMS;
                case "result" -> RESULT;
                default -> TUPLE;
            };
            JsonNode in = json(c[0]);
            Val v = JsonValues.fromJson(in, type, "v");
            assertEquals(in.toString(), JsonValues.toJson(v).toString(), c[0]);
        }
    }

    @Test
    void integersAtTheirLimits() throws Exception {
        assertEquals(new Val.U64(-1L), JsonValues.fromJson(json("18446744073709551615"), Primitive.U64, "v"));
        assertEquals("18446744073709551615", JsonValues.toJson(new Val.U64(-1L)).toString());
        assertEquals(new Val.S64(Long.MIN_VALUE), JsonValues.fromJson(json("-9223372036854775808"), Primitive.S64, "v"));
        assertEquals(new Val.S8((byte) -128), JsonValues.fromJson(json("-128"), Primitive.S8, "v"));
        assertEquals(new Val.U32(4294967295L), JsonValues.fromJson(json("4294967295"), Primitive.U32, "v"));
        assertEquals(new Val.S32(7), JsonValues.fromJson(json("7.0"), Primitive.S32, "v"));
        assertEquals(new Val.Char(0x1F600), JsonValues.fromJson(json("\"\uD83D\uDE00\""), Primitive.CHAR, "v"));
        assertEquals("\"NaN\"", JsonValues.toJson(new Val.F64(Double.NaN)).toString());
        assertEquals(new Val.F64(Double.NEGATIVE_INFINITY), JsonValues.fromJson(json("\"-Infinity\""), Primitive.F64, "v"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"config\":{\"name\":\"n\",\"retries\":300,\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.retries: 300 is out of range for u8",
        "{\"config\":{\"name\":\"n\",\"retries\":-1,\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.retries: -1 is out of range for u8",
        "{\"config\":{\"name\":\"n\",\"retries\":1.5,\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.retries: 1.5 is not an integer (u8)",
        // Found by ToolArgumentsFuzzTest: a literal beyond a double's range reads as Infinity, which escaped as a NumberFormatException.
        "{\"config\":{\"name\":\"n\",\"retries\":1e400,\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.retries: Infinity is out of range for u8",
        "{\"config\":{\"name\":\"n\",\"retries\":-1e400,\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.retries: -Infinity is out of range for u8",
        "{\"config\":{\"name\":\"n\",\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.retries: missing field of type u8",
        "{\"config\":{\"name\":\"n\",\"retries\":1,\"ratio\":1,\"tags\":[],\"origin\":null,\"extra\":1}}|args.config.extra: unknown field",
        "{\"config\":{\"name\":5,\"retries\":1,\"ratio\":1,\"tags\":[],\"origin\":null}}|args.config.name: expected a string, got a number 5",
        "{\"config\":{\"name\":\"n\",\"retries\":1,\"ratio\":\"x\",\"tags\":[],\"origin\":null}}|args.config.ratio: expected a number (f64)",
        "{\"config\":{\"name\":\"n\",\"retries\":1,\"ratio\":1,\"tags\":[\"a\",2],\"origin\":null}}|args.config.tags[1]: expected a string",
        "{\"config\":{\"name\":\"n\",\"retries\":1,\"ratio\":1,\"tags\":\"a\",\"origin\":null}}|args.config.tags: expected a list list<string> as a JSON array",
        "{\"config\":{\"name\":\"n\",\"retries\":1,\"ratio\":1,\"tags\":[],\"origin\":{\"x\":1}}}|args.config.origin.y: missing field of type s32",
        "{\"config\":[1,2]}|args.config: expected an object with fields [name, retries, ratio, tags, origin], got an array [1,2]",
        "{}|args.config: missing required argument",
        "{\"config\":null,\"other\":1}|args.config: expected an object",
        "[1]|args: expected an object of named arguments, got an array [1]",
    })
    void badShapesNameThePath(String args, String expected) {
        String msg = message(args, CONFIGURE);
        org.junit.jupiter.api.Assertions.assertTrue(msg.startsWith(expected), () -> "got: " + msg + "\nexpected prefix: " + expected);
    }

    @Test
    void aHugeExactNumberIsOutOfRangeWithoutBeingExpanded() {
        // The exact integer of 1e999999999 would take hundreds of megabytes and minutes to build.
        var huge = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.numberNode(new java.math.BigDecimal("1e999999999"));
        InvalidArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidArgumentException.class,
                () -> JsonValues.fromJson(huge, Primitive.U64, "args.v"), "rejected at once");
        assertEquals("args.v: 1E+999999999 is out of range for u64", e.getMessage());
    }

    @Test
    void unknownArgumentIsRejected() {
        FunctionType add = new FunctionType(List.of(new FunctionType.Param("a", Primitive.S32), new FunctionType.Param("b", Primitive.S32)), Primitive.S32);
        assertEquals("args.c: unknown argument (expected a, b)", message("{\"a\":1,\"b\":2,\"c\":3}", add));
        assertEquals(List.of(new Val.S32(1), new Val.S32(2)), assertDoesNotThrowArgs("{\"a\":1,\"b\":2}", add));
    }

    private static List<Val> assertDoesNotThrowArgs(String args, FunctionType type) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> JsonValues.arguments(json(args), type));
    }

    @Test
    void variantsEnumsFlagsResultsRejectWrongShapes() throws Exception {
        assertEquals("v.tag: unknown case \"square\" (expected one of [circle, rect, empty])",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("{\"tag\":\"square\",\"val\":1}"), SHAPE, "v")).getMessage());
        assertEquals("v.val: missing payload of type f64",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("{\"tag\":\"circle\"}"), SHAPE, "v")).getMessage());
        assertEquals("v.val: case \"empty\" has no payload",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("{\"tag\":\"empty\",\"val\":1}"), SHAPE, "v")).getMessage());
        assertEquals("v: expected one of [red, green, blue], got a string \"purple\"",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("\"purple\""), COLOR, "v")).getMessage());
        assertEquals("v[1]: flag \"read\" given twice",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("[\"read\",\"read\"]"), PERMS, "v")).getMessage());
        assertEquals("v[0]: expected one of [read, write, exec], got a string \"sudo\"",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("[\"sudo\"]"), PERMS, "v")).getMessage());
        assertEquals("v: expected {\"ok\": …} or {\"err\": …}, got an object {\"ok\":\"a\",\"err\":1}",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("{\"ok\":\"a\",\"err\":1}"), RESULT, "v")).getMessage());
        assertEquals("v: expected 3 elements for tuple<string, u32, bool>, got 2",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("[\"a\",1]"), TUPLE, "v")).getMessage());
        assertEquals("v: expected a one-character string for char, got a string \"ab\"",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("\"ab\""), Primitive.CHAR, "v")).getMessage());
        assertEquals("v: resources cannot be passed as JSON",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("1"), new WitType.ResourceType(true), "v")).getMessage());
        assertEquals("v: 1.0E39 is out of range for f32",
                assertThrows(InvalidArgumentException.class, () -> JsonValues.fromJson(json("1e39"), Primitive.F32, "v")).getMessage());
    }
}

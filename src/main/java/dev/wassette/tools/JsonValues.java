package dev.wassette.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.runtime.FunctionType;
import dev.wassette.runtime.ScalarList;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WitType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON mapping of component values (used by the CLI and MCP tools): records are objects,
 * tuples arrays, variants {@code {"tag": …, "val": …}}, enums strings, options {@code null} or the
 * value, results {@code {"ok": …}} / {@code {"err": …}}, flags arrays of set names, chars
 * one-character strings. Floats that JSON cannot spell are the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"}. Anything that does not fit is rejected with the path of
 * the bad value.
 */
public final class JsonValues {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private JsonValues() {}

    /** Arguments of a call from a JSON object keyed by parameter name (as MCP tool arguments are). */
    public static List<Val> arguments(JsonNode args, FunctionType type) {
        String root = "args";
        if (args == null || args.isNull() || args.isMissingNode()) {
            args = JSON.objectNode();
        }
        if (!args.isObject()) {
            throw new InvalidArgumentException(root, "expected an object of named arguments, got " + describe(args));
        }
        Set<String> known = new HashSet<>();
        List<Val> out = new ArrayList<>(type.params().size());
        for (FunctionType.Param p : type.params()) {
            known.add(p.name());
            JsonNode value = args.get(p.name());
            String path = root + "." + p.name();
            if (value == null) {
                throw new InvalidArgumentException(path, "missing required argument of type " + p.type().wit());
            }
            out.add(fromJson(value, p.type(), path));
        }
        for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!known.contains(name)) {
                throw new InvalidArgumentException(root + "." + name, "unknown argument (expected "
                        + (known.isEmpty() ? "none" : String.join(", ", type.params().stream().map(FunctionType.Param::name).toList())) + ")");
            }
        }
        return out;
    }

    /** Converts a JSON value to a component value of {@code type}; {@code path} names it in errors. */
    public static Val fromJson(JsonNode node, WitType type, String path) {
        return switch (type) {
            case WitType.Primitive p -> primitive(node, p, path);
            case WitType.ListType l -> {
                ArrayNode array = array(node, path, "a list " + type.wit());
                if (l.element() instanceof WitType.Primitive p && p != WitType.Primitive.CHAR && p != WitType.Primitive.STRING) {
                    yield new Val.ListVal(scalars(array, p, path));
                }
                List<Val> elements = new ArrayList<>(array.size());
                for (int i = 0; i < array.size(); i++) {
                    elements.add(fromJson(array.get(i), l.element(), path + "[" + i + "]"));
                }
                yield new Val.ListVal(elements);
            }
            case WitType.RecordType r -> {
                if (!node.isObject()) {
                    throw new InvalidArgumentException(path, "expected an object with fields "
                            + r.fields().stream().map(WitType.Field::name).toList() + ", got " + describe(node));
                }
                List<Val.Field> fields = new ArrayList<>(r.fields().size());
                Set<String> names = new HashSet<>();
                for (WitType.Field f : r.fields()) {
                    names.add(f.name());
                    JsonNode v = node.get(f.name());
                    if (v == null) {
                        throw new InvalidArgumentException(path + "." + f.name(), "missing field of type " + f.type().wit());
                    }
                    fields.add(new Val.Field(f.name(), fromJson(v, f.type(), path + "." + f.name())));
                }
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    String n = it.next();
                    if (!names.contains(n)) {
                        throw new InvalidArgumentException(path + "." + n, "unknown field (the record has " + names.size()
                                + " fields: " + r.fields().stream().map(WitType.Field::name).toList() + ")");
                    }
                }
                yield new Val.RecordVal(fields);
            }
            case WitType.TupleType t -> {
                ArrayNode array = array(node, path, "a tuple " + type.wit());
                if (array.size() != t.types().size()) {
                    throw new InvalidArgumentException(path, "expected " + t.types().size() + " elements for "
                            + type.wit() + ", got " + array.size());
                }
                List<Val> elements = new ArrayList<>(array.size());
                for (int i = 0; i < array.size(); i++) {
                    elements.add(fromJson(array.get(i), t.types().get(i), path + "[" + i + "]"));
                }
                yield new Val.TupleVal(elements);
            }
            case WitType.VariantType v -> {
                List<String> caseNames = v.cases().stream().map(WitType.Case::name).toList();
                if (!node.isObject() || !node.has("tag") || !node.get("tag").isTextual()) {
                    throw new InvalidArgumentException(path, "expected {\"tag\": one of " + caseNames
                            + ", \"val\": …}, got " + describe(node));
                }
                String tag = node.get("tag").asText();
                WitType.Case c = v.find(tag);
                if (c == null) {
                    throw new InvalidArgumentException(path + ".tag", "unknown case \"" + tag + "\" (expected one of " + caseNames + ")");
                }
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    String n = it.next();
                    if (!n.equals("tag") && !n.equals("val")) {
                        throw new InvalidArgumentException(path + "." + n, "unknown key (a variant has only \"tag\" and \"val\")");
                    }
                }
                JsonNode val = node.get("val");
                if (c.type() == null) {
                    if (val != null && !val.isNull()) {
                        throw new InvalidArgumentException(path + ".val", "case \"" + tag + "\" has no payload");
                    }
                    yield new Val.VariantVal(tag, null);
                }
                if (val == null) {
                    throw new InvalidArgumentException(path + ".val", "missing payload of type " + c.type().wit());
                }
                yield new Val.VariantVal(tag, fromJson(val, c.type(), path + ".val"));
            }
            case WitType.EnumType e -> {
                if (!node.isTextual() || !e.names().contains(node.asText())) {
                    throw new InvalidArgumentException(path, "expected one of " + e.names() + ", got " + describe(node));
                }
                yield new Val.EnumVal(node.asText());
            }
            case WitType.OptionType o -> node.isNull() ? Val.OptionVal.NONE : new Val.OptionVal(fromJson(node, o.type(), path));
            case WitType.ResultType r -> {
                if (!node.isObject() || node.size() != 1 || !(node.has("ok") || node.has("err"))) {
                    throw new InvalidArgumentException(path, "expected {\"ok\": …} or {\"err\": …}, got " + describe(node));
                }
                boolean ok = node.has("ok");
                WitType payloadType = ok ? r.ok() : r.err();
                JsonNode payload = node.get(ok ? "ok" : "err");
                String sub = path + (ok ? ".ok" : ".err");
                if (payloadType == null) {
                    if (!payload.isNull()) {
                        throw new InvalidArgumentException(sub, "this result has no " + (ok ? "ok" : "err") + " payload; use null");
                    }
                    yield new Val.ResultVal(ok, null);
                }
                yield new Val.ResultVal(ok, fromJson(payload, payloadType, sub));
            }
            case WitType.FlagsType f -> {
                ArrayNode array = array(node, path, "an array of flag names from " + f.names());
                Set<String> set = new LinkedHashSet<>();
                for (int i = 0; i < array.size(); i++) {
                    JsonNode n = array.get(i);
                    if (!n.isTextual() || !f.names().contains(n.asText())) {
                        throw new InvalidArgumentException(path + "[" + i + "]", "expected one of " + f.names() + ", got " + describe(n));
                    }
                    if (!set.add(n.asText())) {
                        throw new InvalidArgumentException(path + "[" + i + "]", "flag \"" + n.asText() + "\" given twice");
                    }
                }
                yield new Val.FlagsVal(f.names().stream().filter(set::contains).toList());
            }
            case WitType.MapType m -> {
                List<Val.MapVal.Entry> entries = new ArrayList<>();
                if (node.isObject() && m.key() == WitType.Primitive.STRING) {
                    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        entries.add(new Val.MapVal.Entry(new Val.Str(e.getKey()), fromJson(e.getValue(), m.value(), path + "." + e.getKey())));
                    }
                } else {
                    ArrayNode array = array(node, path, "an array of [key, value] pairs");
                    for (int i = 0; i < array.size(); i++) {
                        JsonNode pair = array.get(i);
                        if (!pair.isArray() || pair.size() != 2) {
                            throw new InvalidArgumentException(path + "[" + i + "]", "expected a [key, value] pair, got " + describe(pair));
                        }
                        entries.add(new Val.MapVal.Entry(fromJson(pair.get(0), m.key(), path + "[" + i + "][0]"),
                                fromJson(pair.get(1), m.value(), path + "[" + i + "][1]")));
                    }
                }
                yield new Val.MapVal(entries);
            }
            case WitType.ResourceType r -> throw new InvalidArgumentException(path, "resources cannot be passed as JSON");
            case WitType.UnsupportedType u -> throw new InvalidArgumentException(path, u.kind() + " values are not supported");
        };
    }

    private static Val primitive(JsonNode node, WitType.Primitive p, String path) {
        return switch (p) {
            case BOOL -> {
                if (!node.isBoolean()) {
                    throw new InvalidArgumentException(path, "expected a boolean, got " + describe(node));
                }
                yield new Val.Bool(node.booleanValue());
            }
            case S8 -> new Val.S8((byte) integer(node, path, -128, 127, "s8").longValue());
            case U8 -> new Val.U8(integer(node, path, 0, 255, "u8").intValue());
            case S16 -> new Val.S16((short) integer(node, path, Short.MIN_VALUE, Short.MAX_VALUE, "s16").longValue());
            case U16 -> new Val.U16(integer(node, path, 0, 65535, "u16").intValue());
            case S32 -> new Val.S32(integer(node, path, Integer.MIN_VALUE, Integer.MAX_VALUE, "s32").intValue());
            case U32 -> new Val.U32(integer(node, path, 0, 0xFFFF_FFFFL, "u32").longValue());
            case S64 -> new Val.S64(integer(node, path, BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE), "s64").longValue());
            case U64 -> new Val.U64(integer(node, path, BigInteger.ZERO, U64_MAX, "u64").longValue());
            case F32 -> new Val.F32((float) floating(node, path, "f32"));
            case F64 -> new Val.F64(floating(node, path, "f64"));
            case CHAR -> {
                if (!node.isTextual() || node.asText().codePointCount(0, node.asText().length()) != 1) {
                    throw new InvalidArgumentException(path, "expected a one-character string for char, got " + describe(node));
                }
                int cp = node.asText().codePointAt(0);
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    throw new InvalidArgumentException(path, "a lone surrogate is not a valid char");
                }
                yield new Val.Char(cp);
            }
            case STRING -> {
                if (!node.isTextual()) {
                    throw new InvalidArgumentException(path, "expected a string, got " + describe(node));
                }
                yield new Val.Str(node.asText());
            }
        };
    }

    private static BigInteger integer(JsonNode node, String path, long min, long max, String type) {
        return integer(node, path, BigInteger.valueOf(min), BigInteger.valueOf(max), type);
    }

    /**
     * A list of bool, integers or floats as one primitive array ({@link ScalarList}): no {@link Val}
     * per element. Each element is checked as {@link #primitive} checks it, with the same messages.
     */
    private static ScalarList scalars(ArrayNode array, WitType.Primitive p, String path) {
        int n = array.size();
        switch (p) {
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    JsonNode e = array.get(i);
                    if (!e.isBoolean()) {
                        throw new InvalidArgumentException(path + "[" + i + "]", "expected a boolean, got " + describe(e));
                    }
                    a[i] = e.booleanValue();
                }
                return ScalarList.ofBool(a);
            }
            case S8, U8 -> {
                long min = p == WitType.Primitive.S8 ? -128 : 0;
                long max = p == WitType.Primitive.S8 ? 127 : 255;
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (byte) smallInteger(array.get(i), path, i, min, max, p.wit());
                }
                return p == WitType.Primitive.S8 ? ScalarList.ofS8(a) : ScalarList.ofU8(a);
            }
            case S16, U16 -> {
                long min = p == WitType.Primitive.S16 ? Short.MIN_VALUE : 0;
                long max = p == WitType.Primitive.S16 ? Short.MAX_VALUE : 0xFFFF;
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (short) smallInteger(array.get(i), path, i, min, max, p.wit());
                }
                return p == WitType.Primitive.S16 ? ScalarList.ofS16(a) : ScalarList.ofU16(a);
            }
            case S32, U32 -> {
                long min = p == WitType.Primitive.S32 ? Integer.MIN_VALUE : 0;
                long max = p == WitType.Primitive.S32 ? Integer.MAX_VALUE : 0xFFFF_FFFFL;
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (int) smallInteger(array.get(i), path, i, min, max, p.wit());
                }
                return p == WitType.Primitive.S32 ? ScalarList.ofS32(a) : ScalarList.ofU32(a);
            }
            case S64, U64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    JsonNode e = array.get(i);
                    if ((e.isInt() || e.isLong()) && (p == WitType.Primitive.S64 || e.longValue() >= 0)) {
                        a[i] = e.longValue();
                    } else if (p == WitType.Primitive.S64) {
                        a[i] = integer(e, path + "[" + i + "]", BigInteger.valueOf(Long.MIN_VALUE), BigInteger.valueOf(Long.MAX_VALUE), "s64").longValue();
                    } else {
                        a[i] = integer(e, path + "[" + i + "]", BigInteger.ZERO, U64_MAX, "u64").longValue();
                    }
                }
                return p == WitType.Primitive.S64 ? ScalarList.ofS64(a) : ScalarList.ofU64(a);
            }
            case F32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (float) floating(array.get(i), path + "[" + i + "]", "f32");
                }
                return ScalarList.ofF32(a);
            }
            case F64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = floating(array.get(i), path + "[" + i + "]", "f64");
                }
                return ScalarList.ofF64(a);
            }
            default -> throw new IllegalArgumentException(p + " is not a scalar");
        }
    }

    /** An integer element of at most 32 bits; JSON ints take the fast path, the rest {@link #integer}. */
    private static long smallInteger(JsonNode e, String path, int i, long min, long max, String type) {
        if (e.isInt() || e.isLong()) {
            long v = e.longValue();
            if (v >= min && v <= max) {
                return v;
            }
        }
        return integer(e, path + "[" + i + "]", min, max, type).longValue();
    }

    private static BigInteger integer(JsonNode node, String path, BigInteger min, BigInteger max, String type) {
        if (!node.isNumber()) {
            throw new InvalidArgumentException(path, "expected an integer (" + type + "), got " + describe(node));
        }
        BigInteger value;
        if (node.isIntegralNumber()) {
            value = node.bigIntegerValue();
        } else {
            if ((node.isDouble() || node.isFloat()) && !Double.isFinite(node.doubleValue())) {
                // A literal beyond a double's range (1e400) reads as infinite; it has no decimal value.
                throw new InvalidArgumentException(path, node.asText() + " is out of range for " + type);
            }
            BigDecimal d = node.decimalValue();
            if (d.precision() - d.scale() > 40) {
                // Beyond 10^40, out of every integer type's range; the exact integer of 1e999999999 would not fit in memory.
                throw new InvalidArgumentException(path, node.asText() + " is out of range for " + type);
            }
            try {
                value = d.toBigIntegerExact();
            } catch (ArithmeticException e) {
                throw new InvalidArgumentException(path, node.asText() + " is not an integer (" + type + ")");
            }
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new InvalidArgumentException(path, value + " is out of range for " + type);
        }
        return value;
    }

    private static double floating(JsonNode node, String path, String type) {
        if (node.isNumber()) {
            double d = node.doubleValue();
            if (type.equals("f32") && Double.isFinite(d) && Math.abs(d) > Float.MAX_VALUE) {
                throw new InvalidArgumentException(path, node.asText() + " is out of range for f32");
            }
            return d;
        }
        if (node.isTextual()) {
            switch (node.asText()) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default: break;
            }
        }
        throw new InvalidArgumentException(path, "expected a number (" + type + "), got " + describe(node));
    }

    private static ArrayNode array(JsonNode node, String path, String what) {
        if (!node.isArray()) {
            throw new InvalidArgumentException(path, "expected " + what + " as a JSON array, got " + describe(node));
        }
        return (ArrayNode) node;
    }

    /** Converts a component value to JSON. */
    public static JsonNode toJson(Val value) {
        return switch (value) {
            case Val.Bool v -> JSON.booleanNode(v.value());
            case Val.S8 v -> JSON.numberNode(v.value());
            case Val.U8 v -> JSON.numberNode(v.value());
            case Val.S16 v -> JSON.numberNode(v.value());
            case Val.U16 v -> JSON.numberNode(v.value());
            case Val.S32 v -> JSON.numberNode(v.value());
            case Val.U32 v -> JSON.numberNode(v.value());
            case Val.S64 v -> JSON.numberNode(v.value());
            case Val.U64 v -> v.bits() >= 0 ? JSON.numberNode(v.bits()) : JSON.numberNode(new BigInteger(Long.toUnsignedString(v.bits())));
            case Val.F32 v -> Float.isFinite(v.value()) ? JSON.numberNode(v.value()) : JSON.textNode(Float.toString(v.value()));
            case Val.F64 v -> Double.isFinite(v.value()) ? JSON.numberNode(v.value()) : JSON.textNode(Double.toString(v.value()));
            case Val.Char v -> JSON.textNode(Character.toString(v.codePoint()));
            case Val.Str v -> JSON.textNode(v.value());
            case Val.ListVal v -> arrayOf(v.elements());
            case Val.TupleVal v -> arrayOf(v.elements());
            case Val.RecordVal v -> {
                ObjectNode o = JSON.objectNode();
                v.fields().forEach(f -> o.set(f.name(), toJson(f.value())));
                yield o;
            }
            case Val.VariantVal v -> {
                ObjectNode o = JSON.objectNode();
                o.put("tag", v.caseName());
                if (v.payload() != null) {
                    o.set("val", toJson(v.payload()));
                }
                yield o;
            }
            case Val.EnumVal v -> JSON.textNode(v.name());
            case Val.OptionVal v -> v.value() == null ? JSON.nullNode() : toJson(v.value());
            case Val.ResultVal v -> {
                ObjectNode o = JSON.objectNode();
                o.set(v.isOk() ? "ok" : "err", v.payload() == null ? JSON.nullNode() : toJson(v.payload()));
                yield o;
            }
            case Val.FlagsVal v -> {
                ArrayNode a = JSON.arrayNode();
                v.names().forEach(a::add);
                yield a;
            }
            case Val.MapVal v -> {
                boolean stringKeys = v.entries().stream().allMatch(e -> e.key() instanceof Val.Str);
                if (stringKeys) {
                    ObjectNode o = JSON.objectNode();
                    v.entries().forEach(e -> o.set(((Val.Str) e.key()).value(), toJson(e.value())));
                    yield o;
                }
                ArrayNode a = JSON.arrayNode();
                v.entries().forEach(e -> a.add(JSON.arrayNode().add(toJson(e.key())).add(toJson(e.value()))));
                yield a;
            }
            case Val.ResourceVal v -> {
                ObjectNode o = JSON.objectNode();
                o.put("resource", Long.toHexString(v.handle()));
                o.put("owned", v.owned());
                yield o;
            }
        };
    }

    private static ArrayNode arrayOf(List<Val> values) {
        ArrayNode a = JSON.arrayNode();
        values.forEach(v -> a.add(toJson(v)));
        return a;
    }

    static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        String kind = switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().toString().toLowerCase();
        };
        String text = node.toString();
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return node.isNull() ? kind : kind + " " + text;
    }
}

package dev.wassette.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.CallContext;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WitType;
import dev.wassette.tools.InvalidArgumentException;
import dev.wassette.tools.JsonValues;
import java.util.List;

/**
 * Tool arguments against the WIT types of every echo function of {@code types.wasm} (records,
 * variants, options, results, lists, tuples, flags, enums, chars, every number type). The JSON is
 * generated from the fuzzer's bytes, mostly shaped like the parameter's type and sometimes not:
 * each argument is either rejected with an {@link InvalidArgumentException} whose message starts
 * with the path of the bad value, or accepted, passed through the component and returned equal —
 * as a component value and again as JSON. Nothing else may happen: no other exception, no crash.
 */
class ToolArgumentsFuzzTest {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** Field, case and flag names of the fixture's types, and a few that are none of them. */
    private static final String[] NAMES = {"x", "y", "name", "retries", "ratio", "tags", "origin", "circle", "rect", "empty",
        "red", "green", "blue", "read", "write", "exec", "tag", "val", "ok", "err", "v", "NaN", "Infinity", "", "\u0000", "é"};

    @FuzzTest(maxDuration = "10s")
    void argumentsAreRejectedWithTheirPathOrComeBackEqual(FuzzedDataProvider data) throws Exception {
        List<ExportedFunction> echoes = FuzzFixtures.echoFunctions();
        ExportedFunction function = echoes.get(data.consumeInt(0, echoes.size() - 1));
        WitType type = function.type().params().getFirst().type();
        ObjectNode args = JSON.objectNode();
        args.set("v", value(data, type, 0));
        if (data.consumeInt(0, 15) == 0) {
            args.set(NAMES[data.consumeInt(0, NAMES.length - 1)], value(data, type, 0)); // perhaps an unknown argument
        }
        List<Val> values;
        try {
            values = JsonValues.arguments(args, function.type());
        } catch (InvalidArgumentException e) {
            assertTrue(e.getMessage().startsWith("args"), e.getMessage());
            return;
        }
        Val echoed = FuzzFixtures.host().call("types", function, values, new CallContext());
        assertEquals(values.getFirst(), echoed, () -> function.name() + " " + args);
        JsonNode asJson = JsonValues.toJson(echoed);
        assertEquals(values.getFirst(), JsonValues.fromJson(asJson, type, "args.v"), () -> function.name() + " " + asJson);
    }

    /** A JSON value for {@code type}: usually of its shape, one time in eight anything at all. */
    private static JsonNode value(FuzzedDataProvider data, WitType type, int depth) {
        if (depth > 6 || data.remainingBytes() == 0) {
            return JSON.nullNode();
        }
        if (data.consumeInt(0, 7) == 0) {
            return anything(data, depth + 1);
        }
        return switch (type) {
            case WitType.Primitive p -> primitive(data, p);
            case WitType.ListType l -> {
                ArrayNode a = JSON.arrayNode();
                for (int i = data.consumeInt(0, 5); i > 0; i--) {
                    a.add(value(data, l.element(), depth + 1));
                }
                yield a;
            }
            case WitType.RecordType r -> {
                ObjectNode o = JSON.objectNode();
                for (WitType.Field f : r.fields()) {
                    if (data.consumeInt(0, 15) != 0) {
                        o.set(f.name(), value(data, f.type(), depth + 1));
                    }
                }
                yield o;
            }
            case WitType.TupleType t -> {
                ArrayNode a = JSON.arrayNode();
                t.types().forEach(e -> a.add(value(data, e, depth + 1)));
                yield a;
            }
            case WitType.VariantType v -> {
                WitType.Case c = v.cases().get(data.consumeInt(0, v.cases().size() - 1));
                ObjectNode o = JSON.objectNode().put("tag", c.name());
                if (c.type() != null) {
                    o.set("val", value(data, c.type(), depth + 1));
                }
                yield o;
            }
            case WitType.EnumType e -> JSON.textNode(e.names().get(data.consumeInt(0, e.names().size() - 1)));
            case WitType.OptionType o -> data.consumeBoolean() ? JSON.nullNode() : value(data, o.type(), depth + 1);
            case WitType.ResultType r -> {
                boolean ok = data.consumeBoolean();
                WitType payload = ok ? r.ok() : r.err();
                yield JSON.objectNode().set(ok ? "ok" : "err", payload == null ? JSON.nullNode() : value(data, payload, depth + 1));
            }
            case WitType.FlagsType f -> {
                ArrayNode a = JSON.arrayNode();
                for (String name : f.names()) {
                    if (data.consumeBoolean()) {
                        a.add(name);
                    }
                }
                yield a;
            }
            default -> anything(data, depth + 1);
        };
    }

    private static JsonNode primitive(FuzzedDataProvider data, WitType.Primitive p) {
        return switch (p) {
            case BOOL -> JSON.booleanNode(data.consumeBoolean());
            case S8, U8, S16, U16, S32, U32 -> JSON.numberNode(data.consumeLong(-70_000, 70_000));
            case S64, U64 -> data.consumeBoolean() ? JSON.numberNode(data.consumeLong())
                    : JSON.numberNode(new java.math.BigInteger(1, data.consumeBytes(9)));
            case F32, F64 -> switch (data.consumeInt(0, 3)) {
                case 0 -> JSON.textNode(List.of("NaN", "Infinity", "-Infinity", "nan").get(data.consumeInt(0, 3)));
                case 1 -> JSON.numberNode(data.consumeRegularFloat());
                default -> JSON.numberNode(data.consumeRegularDouble());
            };
            case CHAR, STRING -> JSON.textNode(data.consumeString(p == WitType.Primitive.CHAR ? 2 : 40));
        };
    }

    private static JsonNode anything(FuzzedDataProvider data, int depth) {
        return switch (depth > 6 ? 0 : data.consumeInt(0, 7)) {
            case 0 -> JSON.nullNode();
            case 1 -> JSON.booleanNode(data.consumeBoolean());
            case 2 -> JSON.numberNode(data.consumeLong());
            case 3 -> JSON.numberNode(data.consumeDouble());
            case 4 -> JSON.numberNode(new java.math.BigDecimal(new java.math.BigInteger(1, data.consumeBytes(12)), data.consumeInt(-30, 30)));
            case 5 -> JSON.textNode(data.consumeString(20));
            case 6 -> {
                ArrayNode a = JSON.arrayNode();
                for (int i = data.consumeInt(0, 4); i > 0; i--) {
                    a.add(anything(data, depth + 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = JSON.objectNode();
                for (int i = data.consumeInt(0, 4); i > 0; i--) {
                    o.set(NAMES[data.consumeInt(0, NAMES.length - 1)], anything(data, depth + 1));
                }
                yield o;
            }
        };
    }
}

package dev.wassette.tools;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.FunctionType;
import dev.wassette.runtime.WitType;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * MCP tool names and JSON Schemas (2020-12) derived from WIT function types, matching the JSON
 * mapping of {@link JsonValues}.
 */
public final class ToolSchemas {
    public static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Pattern TOOL_NAME = Pattern.compile("^[a-zA-Z0-9_-]{1,128}$");

    private ToolSchemas() {}

    /**
     * {@code my:pkg/tools} + {@code greet} → {@code my_pkg_tools_greet}; world-level functions keep
     * their name. Each part is lower-cased with every character outside {@code [a-z0-9-]} replaced by
     * {@code _}.
     */
    public static String toolName(ExportedFunction f) {
        String name = sanitize(f.name());
        return f.interfaceName() == null ? name : sanitize(f.interfaceName()) + "_" + name;
    }

    /**
     * The function named {@code name}: its export name ({@code name} or {@code interface#name}) or,
     * failing that, its tool name ({@link #toolName}).
     *
     * @throws IllegalArgumentException naming what there is, when no function or several have that name
     */
    public static ExportedFunction resolve(List<ExportedFunction> functions, String name) {
        for (ExportedFunction f : functions) {
            if (f.qualifiedName().equals(name)) {
                return f;
            }
        }
        List<ExportedFunction> byTool = functions.stream().filter(f -> toolName(f).equals(name)).toList();
        if (byTool.size() == 1) {
            return byTool.getFirst();
        }
        if (byTool.size() > 1) {
            // Tool names flatten characters, so two exports can share one; the export name is unique.
            throw new IllegalArgumentException("has several functions with the tool name \"" + name
                    + "\"; give the export name: " + String.join(", ", byTool.stream().map(ExportedFunction::qualifiedName).toList()));
        }
        throw new IllegalArgumentException("exports no function \"" + name + "\"; it exports (export name / tool name): "
                + String.join(", ", functions.stream().map(f -> f.qualifiedName() + " / " + toolName(f)).toList()));
    }

    public static boolean validToolName(String name) {
        return TOOL_NAME.matcher(name).matches();
    }

    private static String sanitize(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "_");
    }

    /** Null when every parameter can be given as JSON; else why not (e.g. a resource parameter). */
    public static String unsupportedInput(FunctionType type) {
        for (FunctionType.Param p : type.params()) {
            String why = unsupported(p.type());
            if (why != null) {
                return "parameter " + p.name() + ": " + why;
            }
        }
        return null;
    }

    private static String unsupported(WitType t) {
        return switch (t) {
            case WitType.ResourceType r -> "resources cannot be passed as JSON";
            case WitType.UnsupportedType u -> u.kind() + " values are not supported";
            case WitType.ListType l -> unsupported(l.element());
            case WitType.OptionType o -> unsupported(o.type());
            case WitType.RecordType r -> r.fields().stream().map(f -> unsupported(f.type())).filter(x -> x != null).findFirst().orElse(null);
            case WitType.TupleType tu -> tu.types().stream().map(ToolSchemas::unsupported).filter(x -> x != null).findFirst().orElse(null);
            case WitType.VariantType v -> v.cases().stream().filter(c -> c.type() != null).map(c -> unsupported(c.type())).filter(x -> x != null).findFirst().orElse(null);
            case WitType.ResultType r -> r.ok() != null && unsupported(r.ok()) != null ? unsupported(r.ok())
                    : r.err() != null ? unsupported(r.err()) : null;
            case WitType.MapType m -> unsupported(m.key()) != null ? unsupported(m.key()) : unsupported(m.value());
            case WitType.Primitive p -> null;
            case WitType.EnumType e -> null;
            case WitType.FlagsType f -> null;
        };
    }

    /** An object with one required property per parameter, no others. */
    public static ObjectNode inputSchema(FunctionType type) {
        ObjectNode schema = JSON.objectNode();
        schema.put("$schema", DIALECT);
        schema.put("type", "object");
        ObjectNode props = schema.putObject("properties");
        ArrayNode required = schema.putArray("required");
        for (FunctionType.Param p : type.params()) {
            props.set(p.name(), schema(p.type()));
            required.add(p.name());
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    /** {@code {type: object, properties: {result: T}, required: [result]}}, or null without a result. */
    public static ObjectNode outputSchema(FunctionType type) {
        if (type.result() == null) {
            return null;
        }
        ObjectNode schema = JSON.objectNode();
        schema.put("$schema", DIALECT);
        schema.put("type", "object");
        schema.putObject("properties").set("result", schema(type.result()));
        schema.putArray("required").add("result");
        return schema;
    }

    public static ObjectNode schema(WitType type) {
        ObjectNode s = JSON.objectNode();
        switch (type) {
            case WitType.Primitive p -> primitive(s, p);
            case WitType.ListType l -> {
                s.put("type", "array");
                s.set("items", schema(l.element()));
            }
            case WitType.RecordType r -> {
                s.put("type", "object");
                ObjectNode props = s.putObject("properties");
                ArrayNode required = s.putArray("required");
                for (WitType.Field f : r.fields()) {
                    props.set(f.name(), schema(f.type()));
                    required.add(f.name());
                }
                s.put("additionalProperties", false);
            }
            case WitType.TupleType t -> {
                s.put("type", "array");
                ArrayNode items = s.putArray("prefixItems");
                t.types().forEach(x -> items.add(schema(x)));
                s.put("items", false);
                s.put("minItems", t.types().size());
                s.put("maxItems", t.types().size());
            }
            case WitType.VariantType v -> {
                ArrayNode one = s.putArray("oneOf");
                for (WitType.Case c : v.cases()) {
                    ObjectNode alt = one.addObject();
                    alt.put("type", "object");
                    ObjectNode props = alt.putObject("properties");
                    props.putObject("tag").put("const", c.name());
                    ArrayNode required = alt.putArray("required");
                    required.add("tag");
                    if (c.type() != null) {
                        props.set("val", schema(c.type()));
                        required.add("val");
                    }
                    alt.put("additionalProperties", false);
                }
            }
            case WitType.EnumType e -> {
                s.put("type", "string");
                ArrayNode values = s.putArray("enum");
                e.names().forEach(values::add);
            }
            case WitType.OptionType o -> {
                ArrayNode any = s.putArray("anyOf");
                any.addObject().put("type", "null");
                any.add(schema(o.type()));
            }
            case WitType.ResultType r -> {
                ArrayNode one = s.putArray("oneOf");
                one.add(resultCase("ok", r.ok()));
                one.add(resultCase("err", r.err()));
            }
            case WitType.FlagsType f -> {
                s.put("type", "array");
                ObjectNode items = s.putObject("items");
                items.put("type", "string");
                ArrayNode values = items.putArray("enum");
                f.names().forEach(values::add);
                s.put("uniqueItems", true);
            }
            case WitType.MapType m -> {
                if (m.key() == WitType.Primitive.STRING) {
                    s.put("type", "object");
                    s.set("additionalProperties", schema(m.value()));
                } else {
                    s.put("type", "array");
                    ObjectNode pair = s.putObject("items");
                    pair.put("type", "array");
                    pair.putArray("prefixItems").add(schema(m.key())).add(schema(m.value()));
                    pair.put("items", false);
                    pair.put("minItems", 2);
                }
            }
            case WitType.ResourceType r -> s.put("description", "resource handle (opaque)");
            case WitType.UnsupportedType u -> s.put("description", u.kind() + " (not representable as JSON)");
        }
        return s;
    }

    private static ObjectNode resultCase(String key, WitType payload) {
        ObjectNode alt = JSON.objectNode();
        alt.put("type", "object");
        ObjectNode props = alt.putObject("properties");
        if (payload == null) {
            props.putObject(key).put("type", "null");
        } else {
            props.set(key, schema(payload));
        }
        alt.putArray("required").add(key);
        alt.put("additionalProperties", false);
        return alt;
    }

    private static void primitive(ObjectNode s, WitType.Primitive p) {
        switch (p) {
            case BOOL -> s.put("type", "boolean");
            case S8 -> range(s, -128, 127);
            case U8 -> range(s, 0, 255);
            case S16 -> range(s, Short.MIN_VALUE, Short.MAX_VALUE);
            case U16 -> range(s, 0, 65535);
            case S32 -> range(s, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case U32 -> range(s, 0, 0xFFFF_FFFFL);
            case S64 -> range(s, Long.MIN_VALUE, Long.MAX_VALUE);
            case U64 -> {
                s.put("type", "integer");
                s.put("minimum", 0);
                s.put("maximum", BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE));
            }
            case F32, F64 -> {
                // Non-finite values have no JSON number: they cross as these strings, both ways.
                s.putArray("anyOf").addObject().put("type", "number");
                s.withArray("anyOf").addObject().putArray("enum").add("NaN").add("Infinity").add("-Infinity");
            }
            case CHAR -> {
                s.put("type", "string");
                s.put("minLength", 1);
                s.put("maxLength", 1);
            }
            case STRING -> s.put("type", "string");
        }
    }

    private static void range(ObjectNode s, long min, long max) {
        s.put("type", "integer");
        s.put("minimum", min);
        s.put("maximum", max);
    }
}

package dev.wassette.host;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.FunctionType;
import dev.wassette.runtime.WitType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * {@code <id>.tools.json} beside a stored component: its exported functions with their WIT types,
 * so a server can list the component's tools at start-up without compiling or mapping its code.
 *
 * <p>The file is valid for one exact {@code .wasm}: it records the bytes' SHA-256 and the native
 * library version (as the precompiled code's key does), plus the file's size, modification time and
 * file key (inode). Start-up trusts the recorded hash while those three match — every store write
 * renames a new file into place, so a replaced component always has a new inode — and hashes the
 * file only when they differ, so large components are not hashed on every start.
 *
 * <p>Tool names and JSON schemas are not stored: they are derived from the types when registered,
 * exactly as for a freshly loaded component, so a newer server never serves schemas an older one
 * derived.
 */
public final class ComponentMetadata {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ComponentMetadata() {}

    /** Size, modification time and file key of a file: changes whenever the store replaces it. */
    public record FileStamp(long size, long modifiedNanos, String fileKey) {
        public static FileStamp of(BasicFileAttributes attrs) {
            Object key = attrs.fileKey();
            return new FileStamp(attrs.size(), attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                    key == null ? "" : key.toString());
        }

        /** The file's stamp, or null when it does not exist. */
        public static FileStamp of(Path file) throws IOException {
            try {
                return of(Files.readAttributes(file, BasicFileAttributes.class));
            } catch (NoSuchFileException e) {
                return null;
            }
        }
    }

    /** What a metadata file says: valid for the component file with {@code stamp} and {@code sha256}. */
    public record Entry(String sha256, String nativeVersion, FileStamp stamp, List<ExportedFunction> functions) {}

    /** The part of a metadata file that says which bytes and native library it describes. */
    public record Header(String sha256, String nativeVersion, FileStamp stamp) {
        private static final JsonFactory STREAMING = new JsonFactory();

        /**
         * The header of the metadata file {@code file} (its functions skipped), read with the
         * streaming parser, and without initializing {@link ComponentMetadata} (whose data binding
         * is slow to set up): for a process that is still starting. Null when the file is missing,
         * unreadable or of another format.
         */
        public static Header read(Path file) {
            // Read whole (a few KiB) and parsed from the bytes, as the early answers are: code already run once.
            try (JsonParser p = STREAMING.createParser(Files.readAllBytes(file))) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return null;
                }
                long format = -1, size = -1, modified = 0;
                String sha = null, nativeVersion = null, key = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (field) {
                        case "format" -> format = value.isNumeric() ? p.getLongValue() : -1;
                        case "sha256" -> sha = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        case "native" -> nativeVersion = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        case "file" -> {
                            if (value != JsonToken.START_OBJECT) {
                                return null;
                            }
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String name = p.currentName();
                                JsonToken v = p.nextToken();
                                switch (name) {
                                    case "size" -> size = v.isNumeric() ? p.getLongValue() : -1;
                                    case "modified_ns" -> modified = v.isNumeric() ? p.getLongValue() : 0;
                                    case "key" -> key = v == JsonToken.VALUE_STRING ? p.getText() : null;
                                    default -> p.skipChildren();
                                }
                            }
                        }
                        default -> p.skipChildren();
                    }
                }
                return format == FORMAT && sha != null && nativeVersion != null && key != null
                        ? new Header(sha, nativeVersion, new FileStamp(size, modified, key)) : null;
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static String sha256(Path file) throws IOException {
        MessageDigest d = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void write(Path file, Entry entry) throws IOException {
        ObjectNode root = NODES.objectNode();
        root.put("format", FORMAT);
        root.put("sha256", entry.sha256());
        root.put("native", entry.nativeVersion());
        ObjectNode stamp = root.putObject("file");
        stamp.put("size", entry.stamp().size());
        stamp.put("modified_ns", entry.stamp().modifiedNanos());
        stamp.put("key", entry.stamp().fileKey());
        ArrayNode functions = root.putArray("functions");
        for (ExportedFunction f : entry.functions()) {
            ObjectNode fn = functions.addObject();
            fn.put("function", f.qualifiedName());
            fn.put("signature", f.wit());
            if (f.interfaceName() != null) {
                fn.put("interface", f.interfaceName());
            }
            fn.put("name", f.name());
            ArrayNode params = fn.putArray("params");
            for (FunctionType.Param p : f.type().params()) {
                params.addObject().put("name", p.name()).set("type", type(p.type()));
            }
            if (f.type().result() != null) {
                fn.set("result", type(f.type().result()));
            }
        }
        AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root), null);
    }

    /** The file's content, or null when it is missing or unreadable (then the component is described by loading it). */
    static Entry read(Path file) {
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            if (root.path("format").asInt() != FORMAT) {
                return null;
            }
            JsonNode s = root.path("file");
            FileStamp stamp = new FileStamp(s.path("size").asLong(-1), s.path("modified_ns").asLong(), s.path("key").asText(""));
            List<ExportedFunction> functions = new ArrayList<>();
            for (JsonNode fn : root.path("functions")) {
                List<FunctionType.Param> params = new ArrayList<>();
                for (JsonNode p : fn.path("params")) {
                    params.add(new FunctionType.Param(text(p, "name"), type(p.path("type"))));
                }
                WitType result = fn.hasNonNull("result") ? type(fn.get("result")) : null;
                String iface = fn.hasNonNull("interface") ? fn.get("interface").asText() : null;
                functions.add(new ExportedFunction(iface, text(fn, "name"), new FunctionType(params, result)));
            }
            return new Entry(text(root, "sha256"), text(root, "native"), stamp, List.copyOf(functions));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing " + field);
        }
        return v.asText();
    }

    /** Primitives as their WIT name, compound types as a one-key object naming the kind. */
    private static JsonNode type(WitType t) {
        ObjectNode o = NODES.objectNode();
        switch (t) {
            case WitType.Primitive p -> {
                return NODES.textNode(p.wit());
            }
            case WitType.ListType l -> o.set("list", type(l.element()));
            case WitType.OptionType op -> o.set("option", type(op.type()));
            case WitType.RecordType r -> {
                ArrayNode fields = o.putArray("record");
                r.fields().forEach(f -> fields.addObject().put("name", f.name()).set("type", type(f.type())));
            }
            case WitType.TupleType tu -> {
                ArrayNode types = o.putArray("tuple");
                tu.types().forEach(x -> types.add(type(x)));
            }
            case WitType.VariantType v -> {
                ArrayNode cases = o.putArray("variant");
                v.cases().forEach(c -> {
                    ObjectNode cn = cases.addObject().put("name", c.name());
                    if (c.type() != null) {
                        cn.set("type", type(c.type()));
                    }
                });
            }
            case WitType.EnumType e -> e.names().forEach(o.putArray("enum")::add);
            case WitType.FlagsType f -> f.names().forEach(o.putArray("flags")::add);
            case WitType.ResultType r -> {
                ObjectNode res = o.putObject("result");
                if (r.ok() != null) {
                    res.set("ok", type(r.ok()));
                }
                if (r.err() != null) {
                    res.set("err", type(r.err()));
                }
            }
            case WitType.MapType m -> {
                ObjectNode map = o.putObject("map");
                map.set("key", type(m.key()));
                map.set("value", type(m.value()));
            }
            case WitType.ResourceType r -> o.put("resource", r.owned() ? "own" : "borrow");
            case WitType.UnsupportedType u -> o.put("unsupported", u.kind());
        }
        return o;
    }

    private static WitType type(JsonNode n) {
        if (n.isTextual()) {
            return WitType.Primitive.valueOf(n.asText().toUpperCase(Locale.ROOT));
        }
        if (!n.isObject() || n.size() != 1) {
            throw new IllegalArgumentException("not a type: " + n);
        }
        String kind = n.fieldNames().next();
        JsonNode v = n.get(kind);
        return switch (kind) {
            case "list" -> new WitType.ListType(type(v));
            case "option" -> new WitType.OptionType(type(v));
            case "record" -> {
                List<WitType.Field> fields = new ArrayList<>();
                v.forEach(f -> fields.add(new WitType.Field(text(f, "name"), type(f.path("type")))));
                yield new WitType.RecordType(fields);
            }
            case "tuple" -> {
                List<WitType> types = new ArrayList<>();
                v.forEach(x -> types.add(type(x)));
                yield new WitType.TupleType(types);
            }
            case "variant" -> {
                List<WitType.Case> cases = new ArrayList<>();
                v.forEach(c -> cases.add(new WitType.Case(text(c, "name"), c.hasNonNull("type") ? type(c.get("type")) : null)));
                yield new WitType.VariantType(cases);
            }
            case "enum" -> new WitType.EnumType(names(v));
            case "flags" -> new WitType.FlagsType(names(v));
            case "result" -> new WitType.ResultType(v.hasNonNull("ok") ? type(v.get("ok")) : null, v.hasNonNull("err") ? type(v.get("err")) : null);
            case "map" -> new WitType.MapType(type(v.path("key")), type(v.path("value")));
            case "resource" -> new WitType.ResourceType("own".equals(v.asText()));
            case "unsupported" -> new WitType.UnsupportedType(v.asText());
            default -> throw new IllegalArgumentException("unknown type kind " + kind);
        };
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }
}

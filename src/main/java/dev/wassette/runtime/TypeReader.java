package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasm_byte_vec_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a component's imports and exported functions, with their WIT types, from the description
 * the native library writes in one call ({@code wassette_component_describe}; its encoding is in
 * {@code native/include/wassette.h}). Walking the types through the C API took a downcall per
 * node, and the JVM links a stub for each distinct signature the first time: ~100 ms of a
 * process's first component load.
 */
final class TypeReader {
    private static final int FORMAT = 1;
    private static final int UNSUPPORTED = 0xff;

    /** What a component imports, and the functions it exports at world level and one level down in exported instances. */
    record Description(List<ComponentImport> imports, List<ExportedFunction> exports) {}

    private final ByteBuffer in;

    private TypeReader(ByteBuffer in) {
        this.in = in;
    }

    static Description describe(MemorySegment component) {
        byte[] bytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = wasm_byte_vec_t.allocate(arena);
            wassette_component_describe(component, vec);
            try {
                bytes = wasm_byte_vec_t.data(vec).reinterpret(wasm_byte_vec_t.size(vec)).toArray(ValueLayout.JAVA_BYTE);
            } finally {
                wasm_byte_vec_delete(vec);
            }
        }
        return read(bytes);
    }

    /** Decodes a description (package-private for tests of malformed input). */
    static Description read(byte[] bytes) {
        try {
            return new TypeReader(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)).description();
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new WasmtimeException("cannot read the component's types: the native description is malformed (" + e + ")");
        }
    }

    private Description description() {
        int format = u8();
        if (format != FORMAT) {
            throw new IllegalArgumentException("format " + format + ", expected " + FORMAT);
        }
        int importCount = count();
        List<ComponentImport> imports = new ArrayList<>(importCount);
        for (int i = 0; i < importCount; i++) {
            String name = string();
            int kind = u8();
            boolean typesOnly = u8() != 0;
            imports.add(kind == WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE()
                    ? new ComponentImport(name, ComponentImport.Kind.INSTANCE, typesOnly)
                    : new ComponentImport(name, importKind(kind), false));
        }
        int functionCount = count();
        List<ExportedFunction> exports = new ArrayList<>(functionCount);
        for (int i = 0; i < functionCount; i++) {
            String iface = u8() != 0 ? string() : null;
            String name = string();
            exports.add(new ExportedFunction(iface, name, function()));
        }
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(in.remaining() + " bytes after the last function");
        }
        return new Description(imports, exports);
    }

    private static ComponentImport.Kind importKind(int kind) {
        if (kind == WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC()) {
            return ComponentImport.Kind.FUNCTION;
        } else if (kind == WASMTIME_COMPONENT_ITEM_RESOURCE()) {
            return ComponentImport.Kind.RESOURCE;
        } else if (kind == WASMTIME_COMPONENT_ITEM_MODULE()) {
            return ComponentImport.Kind.MODULE;
        } else if (kind == WASMTIME_COMPONENT_ITEM_COMPONENT()) {
            return ComponentImport.Kind.COMPONENT;
        } else if (kind == WASMTIME_COMPONENT_ITEM_CORE_FUNC()) {
            return ComponentImport.Kind.CORE_FUNCTION;
        }
        return ComponentImport.Kind.TYPE;
    }

    private FunctionType function() {
        int n = count();
        List<FunctionType.Param> params = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = string();
            params.add(new FunctionType.Param(name, type()));
        }
        return new FunctionType(params, optionalType());
    }

    private WitType optionalType() {
        return u8() != 0 ? type() : null;
    }

    private WitType type() {
        int code = u8();
        if (code == UNSUPPORTED) {
            return new WitType.UnsupportedType(string());
        }
        ComponentKind kind = ComponentKind.ofType(code);
        if (kind == null) {
            throw new IllegalArgumentException("unknown type kind " + code);
        }
        return switch (kind) {
            case BOOL -> WitType.Primitive.BOOL;
            case S8 -> WitType.Primitive.S8;
            case S16 -> WitType.Primitive.S16;
            case S32 -> WitType.Primitive.S32;
            case S64 -> WitType.Primitive.S64;
            case U8 -> WitType.Primitive.U8;
            case U16 -> WitType.Primitive.U16;
            case U32 -> WitType.Primitive.U32;
            case U64 -> WitType.Primitive.U64;
            case F32 -> WitType.Primitive.F32;
            case F64 -> WitType.Primitive.F64;
            case CHAR -> WitType.Primitive.CHAR;
            case STRING -> WitType.Primitive.STRING;
            case LIST -> new WitType.ListType(type());
            case RECORD -> {
                int n = count();
                List<WitType.Field> fields = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String name = string();
                    fields.add(new WitType.Field(name, type()));
                }
                yield new WitType.RecordType(fields);
            }
            case TUPLE -> {
                int n = count();
                List<WitType> types = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    types.add(type());
                }
                yield new WitType.TupleType(types);
            }
            case VARIANT -> {
                int n = count();
                List<WitType.Case> cases = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String name = string();
                    cases.add(new WitType.Case(name, optionalType()));
                }
                yield new WitType.VariantType(cases);
            }
            case ENUM -> new WitType.EnumType(names());
            case OPTION -> new WitType.OptionType(type());
            case RESULT -> {
                WitType ok = optionalType();
                yield new WitType.ResultType(ok, optionalType());
            }
            case FLAGS -> new WitType.FlagsType(names());
            case OWN -> new WitType.ResourceType(true);
            case BORROW -> new WitType.ResourceType(false);
            case FUTURE -> new WitType.UnsupportedType("future");
            case STREAM -> new WitType.UnsupportedType("stream");
            case ERROR_CONTEXT -> new WitType.UnsupportedType("error-context");
            case MAP -> {
                WitType key = type();
                yield new WitType.MapType(key, type());
            }
            // ofType never answers this (a value has it; its type is own or borrow); the compiler wants every kind named.
            case RESOURCE -> throw new IllegalStateException("not a kind of types: " + kind);
        };
    }

    private List<String> names() {
        int n = count();
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add(string());
        }
        return names;
    }

    private int u8() {
        return Byte.toUnsignedInt(in.get());
    }

    /** A u32 count or length; one that cannot fit in what is left is malformed, not a huge allocation. */
    private int count() {
        long n = Integer.toUnsignedLong(in.getInt());
        if (n > in.remaining()) {
            throw new IllegalArgumentException("count " + n + " exceeds the " + in.remaining() + " bytes left");
        }
        return (int) n;
    }

    private String string() {
        int len = count();
        String s = new String(in.array(), in.arrayOffset() + in.position(), len, StandardCharsets.UTF_8);
        in.position(in.position() + len);
        return s;
    }
}

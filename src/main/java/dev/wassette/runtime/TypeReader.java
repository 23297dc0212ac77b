package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasmtime_component_item_t;
import dev.wassette.ffi.wasmtime_component_item_union;
import dev.wassette.ffi.wasmtime_component_valtype_t;
import dev.wassette.ffi.wasmtime_component_valtype_union;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads a component's imports, exported functions and their WIT types through the C API's type introspection. */
final class TypeReader {
    private final Arena arena;
    private final MemorySegment engine;
    private final MemorySegment nameRet;
    private final MemorySegment lenRet;
    private final MemorySegment ptrRet;
    private final MemorySegment boolRet;

    private TypeReader(Arena arena, MemorySegment engine) {
        this.arena = arena;
        this.engine = engine;
        this.nameRet = arena.allocate(ValueLayout.ADDRESS);
        this.lenRet = arena.allocate(ValueLayout.JAVA_LONG);
        this.ptrRet = arena.allocate(ValueLayout.ADDRESS);
        this.boolRet = arena.allocate(ValueLayout.JAVA_BOOLEAN);
    }

    /** Exported functions at world level and one level down in exported interface instances. */
    static List<ExportedFunction> exports(MemorySegment component, MemorySegment engine) {
        try (Arena arena = Arena.ofConfined()) {
            TypeReader reader = new TypeReader(arena, engine);
            MemorySegment type = wasmtime_component_type(component);
            try {
                List<ExportedFunction> out = new ArrayList<>();
                long n = wasmtime_component_type_export_count(type, engine);
                for (long i = 0; i < n; i++) {
                    if (!wasmtime_component_type_export_nth(type, engine, i, reader.nameRet, reader.lenRet, reader.ptrRet)) {
                        continue;
                    }
                    String name = reader.name();
                    reader.readExtern(reader.ptrRet.get(ValueLayout.ADDRESS, 0), null, name, out);
                }
                return out;
            } finally {
                wasmtime_component_type_delete(type);
            }
        }
    }

    /** The component's imports, in the order of its binary. */
    static List<ComponentImport> imports(MemorySegment component, MemorySegment engine) {
        try (Arena arena = Arena.ofConfined()) {
            TypeReader reader = new TypeReader(arena, engine);
            MemorySegment type = wasmtime_component_type(component);
            try {
                List<ComponentImport> out = new ArrayList<>();
                long n = wasmtime_component_type_import_count(type, engine);
                for (long i = 0; i < n; i++) {
                    if (wasmtime_component_type_import_nth(type, engine, i, reader.nameRet, reader.lenRet, reader.ptrRet)) {
                        String name = reader.name();
                        out.add(reader.importOf(name, reader.ptrRet.get(ValueLayout.ADDRESS, 0)));
                    }
                }
                return out;
            } finally {
                wasmtime_component_type_delete(type);
            }
        }
    }

    /** An import from its extern type, which we own (and free here). */
    private ComponentImport importOf(String name, MemorySegment ext) {
        MemorySegment item = wasmtime_component_item_t.allocate(arena);
        wasmtime_component_extern_type(ext, item);
        try {
            int kind = Byte.toUnsignedInt(wasmtime_component_item_t.kind(item));
            if (kind == WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE()) {
                return new ComponentImport(name, ComponentImport.Kind.INSTANCE,
                        typesOnly(wasmtime_component_item_union.component_instance(wasmtime_component_item_t.of(item))));
            }
            return new ComponentImport(name, kind(kind), false);
        } finally {
            wasmtime_component_item_delete(item);
            wasmtime_component_extern_delete(ext);
        }
    }

    /** Whether an instance type (borrowed) exports only types, which need no definition to link. */
    private boolean typesOnly(MemorySegment instance) {
        long n = wasmtime_component_instance_type_export_count(instance, engine);
        for (long i = 0; i < n; i++) {
            if (!wasmtime_component_instance_type_export_nth(instance, engine, i, nameRet, lenRet, ptrRet)) {
                continue;
            }
            MemorySegment ext = ptrRet.get(ValueLayout.ADDRESS, 0);
            MemorySegment item = wasmtime_component_item_t.allocate(arena);
            wasmtime_component_extern_type(ext, item);
            int kind = Byte.toUnsignedInt(wasmtime_component_item_t.kind(item));
            wasmtime_component_item_delete(item);
            wasmtime_component_extern_delete(ext);
            if (kind != WASMTIME_COMPONENT_ITEM_TYPE()) {
                return false;
            }
        }
        return true;
    }

    private static ComponentImport.Kind kind(int kind) {
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

    private void readExtern(MemorySegment ext, String iface, String name, List<ExportedFunction> out) {
        MemorySegment item = wasmtime_component_item_t.allocate(arena);
        wasmtime_component_extern_type(ext, item);
        try {
            int kind = Byte.toUnsignedInt(wasmtime_component_item_t.kind(item));
            MemorySegment of = wasmtime_component_item_t.of(item);
            if (kind == WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC()) {
                out.add(new ExportedFunction(iface, name, function(wasmtime_component_item_union.component_func(of))));
            } else if (kind == WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE() && iface == null) {
                MemorySegment instance = wasmtime_component_item_union.component_instance(of);
                long n = wasmtime_component_instance_type_export_count(instance, engine);
                for (long i = 0; i < n; i++) {
                    if (wasmtime_component_instance_type_export_nth(instance, engine, i, nameRet, lenRet, ptrRet)) {
                        String member = name();
                        readExtern(ptrRet.get(ValueLayout.ADDRESS, 0), name, member, out);
                    }
                }
            }
        } finally {
            wasmtime_component_item_delete(item);
            wasmtime_component_extern_delete(ext);
        }
    }

    /** Reads a {@code wasmtime_component_func_type_t*} (borrowed). */
    static FunctionType functionType(MemorySegment funcType) {
        try (Arena arena = Arena.ofConfined()) {
            return new TypeReader(arena, MemorySegment.NULL).function(funcType);
        }
    }

    private FunctionType function(MemorySegment ft) {
        List<FunctionType.Param> params = new ArrayList<>();
        long n = wasmtime_component_func_type_param_count(ft);
        for (long i = 0; i < n; i++) {
            MemorySegment vt = wasmtime_component_valtype_t.allocate(arena);
            if (wasmtime_component_func_type_param_nth(ft, i, nameRet, lenRet, vt)) {
                String pname = name();
                params.add(new FunctionType.Param(pname, ownedType(vt)));
            }
        }
        MemorySegment rt = wasmtime_component_valtype_t.allocate(arena);
        WitType result = wasmtime_component_func_type_result(ft, rt) ? ownedType(rt) : null;
        return new FunctionType(params, result);
    }

    /** Converts a valtype we own and then frees it. */
    private WitType ownedType(MemorySegment vt) {
        try {
            return type(vt);
        } finally {
            wasmtime_component_valtype_delete(vt);
        }
    }

    private WitType type(MemorySegment vt) {
        int code = Byte.toUnsignedInt(wasmtime_component_valtype_t.kind(vt));
        ComponentKind kind = ComponentKind.ofType(code);
        if (kind == null) {
            return new WitType.UnsupportedType("unknown type kind " + code);
        }
        MemorySegment of = wasmtime_component_valtype_t.of(vt);
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
            case LIST -> {
                MemorySegment sub = sub();
                wasmtime_component_list_type_element(wasmtime_component_valtype_union.list(of), sub);
                yield new WitType.ListType(ownedType(sub));
            }
            case RECORD -> {
                MemorySegment rec = wasmtime_component_valtype_union.record_(of);
                List<WitType.Field> fields = new ArrayList<>();
                long n = wasmtime_component_record_type_field_count(rec);
                for (long i = 0; i < n; i++) {
                    MemorySegment sub = sub();
                    if (wasmtime_component_record_type_field_nth(rec, i, nameRet, lenRet, sub)) {
                        String fname = name();
                        fields.add(new WitType.Field(fname, ownedType(sub)));
                    }
                }
                yield new WitType.RecordType(fields);
            }
            case TUPLE -> {
                MemorySegment tup = wasmtime_component_valtype_union.tuple(of);
                List<WitType> types = new ArrayList<>();
                long n = wasmtime_component_tuple_type_types_count(tup);
                for (long i = 0; i < n; i++) {
                    MemorySegment sub = sub();
                    if (wasmtime_component_tuple_type_types_nth(tup, i, sub)) {
                        types.add(ownedType(sub));
                    }
                }
                yield new WitType.TupleType(types);
            }
            case VARIANT -> {
                MemorySegment var = wasmtime_component_valtype_union.variant(of);
                List<WitType.Case> cases = new ArrayList<>();
                long n = wasmtime_component_variant_type_case_count(var);
                for (long i = 0; i < n; i++) {
                    MemorySegment sub = sub();
                    if (wasmtime_component_variant_type_case_nth(var, i, nameRet, lenRet, boolRet, sub)) {
                        String cname = name();
                        boolean hasPayload = boolRet.get(ValueLayout.JAVA_BOOLEAN, 0);
                        cases.add(new WitType.Case(cname, hasPayload ? ownedType(sub) : null));
                    }
                }
                yield new WitType.VariantType(cases);
            }
            case ENUM -> {
                MemorySegment en = wasmtime_component_valtype_union.enum_(of);
                List<String> names = new ArrayList<>();
                long n = wasmtime_component_enum_type_names_count(en);
                for (long i = 0; i < n; i++) {
                    if (wasmtime_component_enum_type_names_nth(en, i, nameRet, lenRet)) {
                        names.add(name());
                    }
                }
                yield new WitType.EnumType(names);
            }
            case OPTION -> {
                MemorySegment sub = sub();
                wasmtime_component_option_type_ty(wasmtime_component_valtype_union.option(of), sub);
                yield new WitType.OptionType(ownedType(sub));
            }
            case RESULT -> {
                MemorySegment res = wasmtime_component_valtype_union.result(of);
                MemorySegment ok = sub();
                WitType okType = wasmtime_component_result_type_ok(res, ok) ? ownedType(ok) : null;
                MemorySegment err = sub();
                WitType errType = wasmtime_component_result_type_err(res, err) ? ownedType(err) : null;
                yield new WitType.ResultType(okType, errType);
            }
            case FLAGS -> {
                MemorySegment fl = wasmtime_component_valtype_union.flags(of);
                List<String> names = new ArrayList<>();
                long n = wasmtime_component_flags_type_names_count(fl);
                for (long i = 0; i < n; i++) {
                    if (wasmtime_component_flags_type_names_nth(fl, i, nameRet, lenRet)) {
                        names.add(name());
                    }
                }
                yield new WitType.FlagsType(names);
            }
            case OWN -> new WitType.ResourceType(true);
            case BORROW -> new WitType.ResourceType(false);
            case FUTURE -> new WitType.UnsupportedType("future");
            case STREAM -> new WitType.UnsupportedType("stream");
            case ERROR_CONTEXT -> new WitType.UnsupportedType("error-context");
            case MAP -> {
                MemorySegment map = wasmtime_component_valtype_union.map(of);
                MemorySegment k = sub();
                wasmtime_component_map_type_key(map, k);
                WitType key = ownedType(k);
                MemorySegment v = sub();
                wasmtime_component_map_type_value(map, v);
                yield new WitType.MapType(key, ownedType(v));
            }
            // ofType never answers this (a value has it; its type is own or borrow); the compiler wants every kind named.
            case RESOURCE -> throw new IllegalStateException("not a kind of types: " + kind);
        };
    }

    private MemorySegment sub() {
        return wasmtime_component_valtype_t.allocate(arena);
    }

    private String name() {
        long len = lenRet.get(ValueLayout.JAVA_LONG, 0);
        if (len == 0) {
            return "";
        }
        MemorySegment ptr = nameRet.get(ValueLayout.ADDRESS, 0).reinterpret(len);
        return new String(ptr.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}

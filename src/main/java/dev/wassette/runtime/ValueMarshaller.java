package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasm_byte_vec_t;
import dev.wassette.ffi.wasmtime_component_val;
import dev.wassette.ffi.wasmtime_component_vallist;
import dev.wassette.ffi.wasmtime_component_valmap_entry;
import dev.wassette.ffi.wasmtime_component_valrecord_entry;
import dev.wassette.ffi.wasmtime_component_valresult_t;
import dev.wassette.ffi.wasmtime_component_valunion_t;
import dev.wassette.ffi.wasmtime_component_valvariant_t;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between {@link Val} and {@code wasmtime_component_val_t}. Values written here live in
 * Java-owned memory: Wasmtime only borrows them (call arguments) or deep-clones them into its own
 * memory (host function results, see {@link HostFunctions}). Values read here are copied out, so the
 * native value can be freed right after.
 */
final class ValueMarshaller {
    private static final long VAL_SIZE = wasmtime_component_val.sizeof();
    private static final long ENTRY_SIZE = wasmtime_component_valrecord_entry.sizeof();
    private static final long MAP_ENTRY_SIZE = wasmtime_component_valmap_entry.sizeof();
    private static final long NAME_SIZE = wasm_byte_vec_t.sizeof();

    private ValueMarshaller() {}

    /** Writes {@code value} into {@code dst} (one {@code wasmtime_component_val_t}). */
    static void write(Val value, MemorySegment dst, SegmentAllocator alloc) {
        MemorySegment of = wasmtime_component_val.of(dst);
        switch (value) {
            case Val.Bool v -> {
                kind(dst, WASMTIME_COMPONENT_BOOL());
                wasmtime_component_valunion_t.boolean_(of, v.value());
            }
            case Val.S8 v -> {
                kind(dst, WASMTIME_COMPONENT_S8());
                wasmtime_component_valunion_t.s8(of, v.value());
            }
            case Val.U8 v -> {
                kind(dst, WASMTIME_COMPONENT_U8());
                wasmtime_component_valunion_t.u8(of, (byte) v.value());
            }
            case Val.S16 v -> {
                kind(dst, WASMTIME_COMPONENT_S16());
                wasmtime_component_valunion_t.s16(of, v.value());
            }
            case Val.U16 v -> {
                kind(dst, WASMTIME_COMPONENT_U16());
                wasmtime_component_valunion_t.u16(of, (short) v.value());
            }
            case Val.S32 v -> {
                kind(dst, WASMTIME_COMPONENT_S32());
                wasmtime_component_valunion_t.s32(of, v.value());
            }
            case Val.U32 v -> {
                kind(dst, WASMTIME_COMPONENT_U32());
                wasmtime_component_valunion_t.u32(of, (int) v.value());
            }
            case Val.S64 v -> {
                kind(dst, WASMTIME_COMPONENT_S64());
                wasmtime_component_valunion_t.s64(of, v.value());
            }
            case Val.U64 v -> {
                kind(dst, WASMTIME_COMPONENT_U64());
                wasmtime_component_valunion_t.u64(of, v.bits());
            }
            case Val.F32 v -> {
                kind(dst, WASMTIME_COMPONENT_F32());
                wasmtime_component_valunion_t.f32(of, v.value());
            }
            case Val.F64 v -> {
                kind(dst, WASMTIME_COMPONENT_F64());
                wasmtime_component_valunion_t.f64(of, v.value());
            }
            case Val.Char v -> {
                kind(dst, WASMTIME_COMPONENT_CHAR());
                wasmtime_component_valunion_t.character(of, v.codePoint());
            }
            case Val.Str v -> {
                kind(dst, WASMTIME_COMPONENT_STRING());
                writeName(v.value(), wasmtime_component_valunion_t.string(of), alloc);
            }
            case Val.ListVal v -> {
                kind(dst, WASMTIME_COMPONENT_LIST());
                writeVals(v.elements(), wasmtime_component_valunion_t.list(of), alloc);
            }
            case Val.TupleVal v -> {
                kind(dst, WASMTIME_COMPONENT_TUPLE());
                writeVals(v.elements(), wasmtime_component_valunion_t.tuple(of), alloc);
            }
            case Val.RecordVal v -> {
                kind(dst, WASMTIME_COMPONENT_RECORD());
                MemorySegment vec = wasmtime_component_valunion_t.record_(of);
                List<Val.Field> fields = v.fields();
                MemorySegment data = fields.isEmpty() ? MemorySegment.NULL : alloc.allocate(ENTRY_SIZE * fields.size(), 8);
                for (int i = 0; i < fields.size(); i++) {
                    MemorySegment entry = data.asSlice(ENTRY_SIZE * i, ENTRY_SIZE);
                    writeName(fields.get(i).name(), wasmtime_component_valrecord_entry.name(entry), alloc);
                    write(fields.get(i).value(), wasmtime_component_valrecord_entry.val(entry), alloc);
                }
                wasmtime_component_vallist.size(vec, fields.size());
                wasmtime_component_vallist.data(vec, data);
            }
            case Val.VariantVal v -> {
                kind(dst, WASMTIME_COMPONENT_VARIANT());
                MemorySegment variant = wasmtime_component_valunion_t.variant(of);
                writeName(v.caseName(), wasmtime_component_valvariant_t.discriminant(variant), alloc);
                wasmtime_component_valvariant_t.val(variant, boxed(v.payload(), alloc));
            }
            case Val.EnumVal v -> {
                kind(dst, WASMTIME_COMPONENT_ENUM());
                writeName(v.name(), wasmtime_component_valunion_t.enumeration(of), alloc);
            }
            case Val.OptionVal v -> {
                kind(dst, WASMTIME_COMPONENT_OPTION());
                wasmtime_component_valunion_t.option(of, boxed(v.value(), alloc));
            }
            case Val.ResultVal v -> {
                kind(dst, WASMTIME_COMPONENT_RESULT());
                MemorySegment result = wasmtime_component_valunion_t.result(of);
                wasmtime_component_valresult_t.is_ok(result, v.isOk());
                wasmtime_component_valresult_t.val(result, boxed(v.payload(), alloc));
            }
            case Val.FlagsVal v -> {
                kind(dst, WASMTIME_COMPONENT_FLAGS());
                MemorySegment vec = wasmtime_component_valunion_t.flags(of);
                List<String> names = v.names();
                MemorySegment data = names.isEmpty() ? MemorySegment.NULL : alloc.allocate(NAME_SIZE * names.size(), 8);
                for (int i = 0; i < names.size(); i++) {
                    writeName(names.get(i), data.asSlice(NAME_SIZE * i, NAME_SIZE), alloc);
                }
                wasmtime_component_vallist.size(vec, names.size());
                wasmtime_component_vallist.data(vec, data);
            }
            case Val.MapVal v -> {
                kind(dst, WASMTIME_COMPONENT_MAP());
                MemorySegment vec = wasmtime_component_valunion_t.map(of);
                List<Val.MapVal.Entry> entries = v.entries();
                MemorySegment data = entries.isEmpty() ? MemorySegment.NULL : alloc.allocate(MAP_ENTRY_SIZE * entries.size(), 8);
                for (int i = 0; i < entries.size(); i++) {
                    MemorySegment entry = data.asSlice(MAP_ENTRY_SIZE * i, MAP_ENTRY_SIZE);
                    write(entries.get(i).key(), wasmtime_component_valmap_entry.key(entry), alloc);
                    write(entries.get(i).value(), wasmtime_component_valmap_entry.value(entry), alloc);
                }
                wasmtime_component_vallist.size(vec, entries.size());
                wasmtime_component_vallist.data(vec, data);
            }
            case Val.ResourceVal v -> {
                kind(dst, WASMTIME_COMPONENT_RESOURCE());
                wasmtime_component_valunion_t.resource(of, MemorySegment.ofAddress(v.handle()));
            }
        }
    }

    /** Reads one {@code wasmtime_component_val_t}; resources are handed to {@code resources}. */
    static Val read(MemorySegment src, ResourceSink resources) {
        MemorySegment of = wasmtime_component_val.of(src);
        int kind = Byte.toUnsignedInt(wasmtime_component_val.kind(src));
        return switch (kind) {
            case 0 -> new Val.Bool(wasmtime_component_valunion_t.boolean_(of));
            case 1 -> new Val.S8(wasmtime_component_valunion_t.s8(of));
            case 2 -> new Val.U8(Byte.toUnsignedInt(wasmtime_component_valunion_t.u8(of)));
            case 3 -> new Val.S16(wasmtime_component_valunion_t.s16(of));
            case 4 -> new Val.U16(Short.toUnsignedInt(wasmtime_component_valunion_t.u16(of)));
            case 5 -> new Val.S32(wasmtime_component_valunion_t.s32(of));
            case 6 -> new Val.U32(Integer.toUnsignedLong(wasmtime_component_valunion_t.u32(of)));
            case 7 -> new Val.S64(wasmtime_component_valunion_t.s64(of));
            case 8 -> new Val.U64(wasmtime_component_valunion_t.u64(of));
            case 9 -> new Val.F32(wasmtime_component_valunion_t.f32(of));
            case 10 -> new Val.F64(wasmtime_component_valunion_t.f64(of));
            case 11 -> new Val.Char(wasmtime_component_valunion_t.character(of));
            case 12 -> new Val.Str(readName(wasmtime_component_valunion_t.string(of)));
            case 13 -> new Val.ListVal(readVals(wasmtime_component_valunion_t.list(of), resources));
            case 14 -> {
                MemorySegment vec = wasmtime_component_valunion_t.record_(of);
                long n = wasmtime_component_vallist.size(vec);
                MemorySegment data = wasmtime_component_vallist.data(vec).reinterpret(n * ENTRY_SIZE);
                List<Val.Field> fields = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++) {
                    MemorySegment entry = data.asSlice(i * ENTRY_SIZE, ENTRY_SIZE);
                    fields.add(new Val.Field(readName(wasmtime_component_valrecord_entry.name(entry)),
                            read(wasmtime_component_valrecord_entry.val(entry), resources)));
                }
                yield new Val.RecordVal(fields);
            }
            case 15 -> new Val.TupleVal(readVals(wasmtime_component_valunion_t.tuple(of), resources));
            case 16 -> {
                MemorySegment variant = wasmtime_component_valunion_t.variant(of);
                yield new Val.VariantVal(readName(wasmtime_component_valvariant_t.discriminant(variant)),
                        unboxed(wasmtime_component_valvariant_t.val(variant), resources));
            }
            case 17 -> new Val.EnumVal(readName(wasmtime_component_valunion_t.enumeration(of)));
            case 18 -> new Val.OptionVal(unboxed(wasmtime_component_valunion_t.option(of), resources));
            case 19 -> {
                MemorySegment result = wasmtime_component_valunion_t.result(of);
                yield new Val.ResultVal(wasmtime_component_valresult_t.is_ok(result),
                        unboxed(wasmtime_component_valresult_t.val(result), resources));
            }
            case 20 -> {
                MemorySegment vec = wasmtime_component_valunion_t.flags(of);
                long n = wasmtime_component_vallist.size(vec);
                MemorySegment data = wasmtime_component_vallist.data(vec).reinterpret(n * NAME_SIZE);
                List<String> names = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++) {
                    names.add(readName(data.asSlice(i * NAME_SIZE, NAME_SIZE)));
                }
                yield new Val.FlagsVal(names);
            }
            case 21 -> resources.accept(wasmtime_component_valunion_t.resource(of));
            case 22 -> {
                MemorySegment vec = wasmtime_component_valunion_t.map(of);
                long n = wasmtime_component_vallist.size(vec);
                MemorySegment data = wasmtime_component_vallist.data(vec).reinterpret(n * MAP_ENTRY_SIZE);
                List<Val.MapVal.Entry> entries = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++) {
                    MemorySegment entry = data.asSlice(i * MAP_ENTRY_SIZE, MAP_ENTRY_SIZE);
                    entries.add(new Val.MapVal.Entry(read(wasmtime_component_valmap_entry.key(entry), resources),
                            read(wasmtime_component_valmap_entry.value(entry), resources)));
                }
                yield new Val.MapVal(entries);
            }
            default -> throw new WasmtimeException("unknown component value kind " + kind);
        };
    }

    /** Receives a resource found in a value read from native memory and returns its Java handle. */
    interface ResourceSink {
        Val accept(MemorySegment resourceAny);

        ResourceSink REJECT = r -> {
            throw new WasmtimeException("resources are not supported here");
        };
    }

    private static void kind(MemorySegment dst, int kind) {
        wasmtime_component_val.kind(dst, (byte) kind);
    }

    private static MemorySegment boxed(Val value, SegmentAllocator alloc) {
        if (value == null) {
            return MemorySegment.NULL;
        }
        MemorySegment box = alloc.allocate(VAL_SIZE, 8);
        write(value, box, alloc);
        return box;
    }

    private static Val unboxed(MemorySegment ptr, ResourceSink resources) {
        if (ptr.equals(MemorySegment.NULL)) {
            return null;
        }
        return read(ptr.reinterpret(VAL_SIZE), resources);
    }

    private static void writeVals(List<Val> values, MemorySegment vec, SegmentAllocator alloc) {
        MemorySegment data = values.isEmpty() ? MemorySegment.NULL : alloc.allocate(VAL_SIZE * values.size(), 8);
        for (int i = 0; i < values.size(); i++) {
            write(values.get(i), data.asSlice(VAL_SIZE * i, VAL_SIZE), alloc);
        }
        wasmtime_component_vallist.size(vec, values.size());
        wasmtime_component_vallist.data(vec, data);
    }

    private static List<Val> readVals(MemorySegment vec, ResourceSink resources) {
        long n = wasmtime_component_vallist.size(vec);
        if (n == 0) {
            return List.of();
        }
        MemorySegment data = wasmtime_component_vallist.data(vec).reinterpret(n * VAL_SIZE);
        List<Val> out = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            out.add(read(data.asSlice(i * VAL_SIZE, VAL_SIZE), resources));
        }
        return out;
    }

    static void writeName(String s, MemorySegment name, SegmentAllocator alloc) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment data = bytes.length == 0 ? MemorySegment.NULL : alloc.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
        wasm_byte_vec_t.size(name, bytes.length);
        wasm_byte_vec_t.data(name, data);
    }

    static String readName(MemorySegment name) {
        return Errors.readByteVec(name);
    }
}

package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.wassette.ffi.wasm_byte_vec_t;
import dev.wassette.ffi.wasmtime_component_val;
import dev.wassette.ffi.wasmtime_component_vallist;
import dev.wassette.ffi.wasmtime_component_valmap_entry;
import dev.wassette.ffi.wasmtime_component_valrecord_entry;
import dev.wassette.ffi.wasmtime_component_valresult_t;
import dev.wassette.ffi.wasmtime_component_valvariant_t;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Converts between {@link Val} and {@code wasmtime_component_val_t}. Values written here live in
 * Java-owned memory: Wasmtime only borrows them (call arguments) or deep-clones them into its own
 * memory (host function results, see {@link HostFunctions}). Values read here are copied out, so the
 * native value can be freed right after.
 *
 * <p>Fields are read and written at offsets of one segment (no slice per value), and lists of
 * scalars go between a primitive array ({@link ScalarList}) and the C elements in one loop.
 */
final class ValueMarshaller {
    private static final long VAL_SIZE = wasmtime_component_val.sizeof();
    private static final long ENTRY_SIZE = wasmtime_component_valrecord_entry.sizeof();
    private static final long MAP_ENTRY_SIZE = wasmtime_component_valmap_entry.sizeof();
    private static final long NAME_SIZE = wasm_byte_vec_t.sizeof();

    // Offsets inside the C structs, from the generated layouts. Every member of the value union
    // starts at the union's offset; vectors and names are {size_t size; T *data}.
    private static final long KIND = wasmtime_component_val.kind$offset();
    private static final long OF = wasmtime_component_val.of$offset();
    private static final long VEC_SIZE = wasmtime_component_vallist.size$offset();
    private static final long VEC_DATA = wasmtime_component_vallist.data$offset();
    private static final long BYTES_SIZE = wasm_byte_vec_t.size$offset();
    private static final long BYTES_DATA = wasm_byte_vec_t.data$offset();
    private static final long VARIANT_NAME = wasmtime_component_valvariant_t.discriminant$offset();
    private static final long VARIANT_VAL = wasmtime_component_valvariant_t.val$offset();
    private static final long RESULT_OK = wasmtime_component_valresult_t.is_ok$offset();
    private static final long RESULT_VAL = wasmtime_component_valresult_t.val$offset();
    private static final long ENTRY_NAME = wasmtime_component_valrecord_entry.name$offset();
    private static final long ENTRY_VAL = wasmtime_component_valrecord_entry.val$offset();
    private static final long MAP_KEY = wasmtime_component_valmap_entry.key$offset();
    private static final long MAP_VALUE = wasmtime_component_valmap_entry.value$offset();

    private static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;
    private static final AddressLayout PTR = ValueLayout.ADDRESS;

    private static final byte K_BOOL = ComponentKind.BOOL.valueCode();
    private static final byte K_S8 = ComponentKind.S8.valueCode();
    private static final byte K_U8 = ComponentKind.U8.valueCode();
    private static final byte K_S16 = ComponentKind.S16.valueCode();
    private static final byte K_U16 = ComponentKind.U16.valueCode();
    private static final byte K_S32 = ComponentKind.S32.valueCode();
    private static final byte K_U32 = ComponentKind.U32.valueCode();
    private static final byte K_S64 = ComponentKind.S64.valueCode();
    private static final byte K_U64 = ComponentKind.U64.valueCode();
    private static final byte K_F32 = ComponentKind.F32.valueCode();
    private static final byte K_F64 = ComponentKind.F64.valueCode();
    private static final byte K_CHAR = ComponentKind.CHAR.valueCode();
    private static final byte K_STRING = ComponentKind.STRING.valueCode();
    private static final byte K_LIST = ComponentKind.LIST.valueCode();
    private static final byte K_RECORD = ComponentKind.RECORD.valueCode();
    private static final byte K_TUPLE = ComponentKind.TUPLE.valueCode();
    private static final byte K_VARIANT = ComponentKind.VARIANT.valueCode();
    private static final byte K_ENUM = ComponentKind.ENUM.valueCode();
    private static final byte K_OPTION = ComponentKind.OPTION.valueCode();
    private static final byte K_RESULT = ComponentKind.RESULT.valueCode();
    private static final byte K_FLAGS = ComponentKind.FLAGS.valueCode();
    private static final byte K_RESOURCE = ComponentKind.RESOURCE.valueCode();
    private static final byte K_MAP = ComponentKind.MAP.valueCode();

    /** Kind byte of each {@link ScalarList.Kind}, by ordinal. */
    private static final byte[] SCALAR_KIND = new byte[ScalarList.Kind.values().length];
    /** {@link ScalarList.Kind} of each C kind byte that has one, else null. */
    private static final ScalarList.Kind[] SCALAR_OF_KIND = new ScalarList.Kind[256];

    static {
        for (ScalarList.Kind k : ScalarList.Kind.values()) {
            byte code = ComponentKind.valueOf(k.name()).valueCode(); // the scalar kinds are named alike
            SCALAR_KIND[k.ordinal()] = code;
            SCALAR_OF_KIND[code & 0xFF] = k;
        }
    }

    private ValueMarshaller() {}

    /** Writes {@code value} into {@code dst} (one {@code wasmtime_component_val_t}). */
    static void write(Val value, MemorySegment dst, SegmentAllocator alloc) {
        write(value, dst, 0, alloc);
    }

    /** Writes {@code value} as the {@code wasmtime_component_val_t} at {@code off} of {@code seg}. */
    private static void write(Val value, MemorySegment seg, long off, SegmentAllocator alloc) {
        long p = off + OF;
        switch (value) {
            case Val.Bool v -> {
                seg.set(JAVA_BYTE, off + KIND, K_BOOL);
                seg.set(JAVA_BOOLEAN, p, v.value());
            }
            case Val.S8 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_S8);
                seg.set(JAVA_BYTE, p, v.value());
            }
            case Val.U8 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_U8);
                seg.set(JAVA_BYTE, p, (byte) v.value());
            }
            case Val.S16 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_S16);
                seg.set(JAVA_SHORT, p, v.value());
            }
            case Val.U16 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_U16);
                seg.set(JAVA_SHORT, p, (short) v.value());
            }
            case Val.S32 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_S32);
                seg.set(JAVA_INT, p, v.value());
            }
            case Val.U32 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_U32);
                seg.set(JAVA_INT, p, (int) v.value());
            }
            case Val.S64 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_S64);
                seg.set(JAVA_LONG, p, v.value());
            }
            case Val.U64 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_U64);
                seg.set(JAVA_LONG, p, v.bits());
            }
            case Val.F32 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_F32);
                seg.set(JAVA_FLOAT, p, v.value());
            }
            case Val.F64 v -> {
                seg.set(JAVA_BYTE, off + KIND, K_F64);
                seg.set(JAVA_DOUBLE, p, v.value());
            }
            case Val.Char v -> {
                seg.set(JAVA_BYTE, off + KIND, K_CHAR);
                seg.set(JAVA_INT, p, v.codePoint());
            }
            case Val.Str v -> {
                seg.set(JAVA_BYTE, off + KIND, K_STRING);
                writeName(v.value(), seg, p, alloc);
            }
            case Val.ListVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_LIST);
                writeVals(v.elements(), seg, p, alloc);
            }
            case Val.TupleVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_TUPLE);
                writeVals(v.elements(), seg, p, alloc);
            }
            case Val.RecordVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_RECORD);
                List<Val.Field> fields = v.fields();
                int n = fields.size();
                MemorySegment data = n == 0 ? MemorySegment.NULL : alloc.allocate(ENTRY_SIZE * n, 8);
                for (int i = 0; i < n; i++) {
                    Val.Field f = fields.get(i);
                    long e = ENTRY_SIZE * i;
                    writeLabel(f.name(), data, e + ENTRY_NAME, alloc);
                    write(f.value(), data, e + ENTRY_VAL, alloc);
                }
                setVec(seg, p, n, data);
            }
            case Val.VariantVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_VARIANT);
                writeLabel(v.caseName(), seg, p + VARIANT_NAME, alloc);
                seg.set(PTR, p + VARIANT_VAL, boxed(v.payload(), alloc));
            }
            case Val.EnumVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_ENUM);
                writeLabel(v.name(), seg, p, alloc);
            }
            case Val.OptionVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_OPTION);
                seg.set(PTR, p, boxed(v.value(), alloc));
            }
            case Val.ResultVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_RESULT);
                seg.set(JAVA_BOOLEAN, p + RESULT_OK, v.isOk());
                seg.set(PTR, p + RESULT_VAL, boxed(v.payload(), alloc));
            }
            case Val.FlagsVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_FLAGS);
                List<String> names = v.names();
                int n = names.size();
                MemorySegment data = n == 0 ? MemorySegment.NULL : alloc.allocate(NAME_SIZE * n, 8);
                for (int i = 0; i < n; i++) {
                    writeLabel(names.get(i), data, NAME_SIZE * i, alloc);
                }
                setVec(seg, p, n, data);
            }
            case Val.MapVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_MAP);
                List<Val.MapVal.Entry> entries = v.entries();
                int n = entries.size();
                MemorySegment data = n == 0 ? MemorySegment.NULL : alloc.allocate(MAP_ENTRY_SIZE * n, 8);
                for (int i = 0; i < n; i++) {
                    long e = MAP_ENTRY_SIZE * i;
                    write(entries.get(i).key(), data, e + MAP_KEY, alloc);
                    write(entries.get(i).value(), data, e + MAP_VALUE, alloc);
                }
                setVec(seg, p, n, data);
            }
            case Val.ResourceVal v -> {
                seg.set(JAVA_BYTE, off + KIND, K_RESOURCE);
                seg.set(PTR, p, MemorySegment.ofAddress(v.handle()));
            }
        }
    }

    /** Reads one {@code wasmtime_component_val_t}; resources are handed to {@code resources}. */
    static Val read(MemorySegment src, ResourceSink resources) {
        // Scalars and strings (the common results) hold no labels: no cache for them.
        ComponentKind kind = ComponentKind.ofValue(Byte.toUnsignedInt(src.get(JAVA_BYTE, KIND)));
        return read(src, 0, resources, kind.holdsLabels() ? new Labels() : null);
    }

    private static Val read(MemorySegment seg, long off, ResourceSink resources, Labels labels) {
        long p = off + OF;
        return switch (ComponentKind.ofValue(Byte.toUnsignedInt(seg.get(JAVA_BYTE, off + KIND)))) {
            case BOOL -> new Val.Bool(seg.get(JAVA_BOOLEAN, p));
            case S8 -> new Val.S8(seg.get(JAVA_BYTE, p));
            case U8 -> new Val.U8(Byte.toUnsignedInt(seg.get(JAVA_BYTE, p)));
            case S16 -> new Val.S16(seg.get(JAVA_SHORT, p));
            case U16 -> new Val.U16(Short.toUnsignedInt(seg.get(JAVA_SHORT, p)));
            case S32 -> new Val.S32(seg.get(JAVA_INT, p));
            case U32 -> new Val.U32(Integer.toUnsignedLong(seg.get(JAVA_INT, p)));
            case S64 -> new Val.S64(seg.get(JAVA_LONG, p));
            case U64 -> new Val.U64(seg.get(JAVA_LONG, p));
            case F32 -> new Val.F32(seg.get(JAVA_FLOAT, p));
            case F64 -> new Val.F64(seg.get(JAVA_DOUBLE, p));
            case CHAR -> new Val.Char(seg.get(JAVA_INT, p));
            case STRING -> new Val.Str(readName(seg, p));
            case LIST -> new Val.ListVal(readVals(seg, p, resources, labels, true));
            case RECORD -> {
                int n = vecSize(seg, p);
                MemorySegment data = vecData(seg, p, n * ENTRY_SIZE);
                Val.Field[] fields = new Val.Field[n];
                for (int i = 0; i < n; i++) {
                    long e = i * ENTRY_SIZE;
                    fields[i] = new Val.Field(labels.read(data, e + ENTRY_NAME), read(data, e + ENTRY_VAL, resources, labels));
                }
                yield new Val.RecordVal(immutable(fields));
            }
            case TUPLE -> new Val.TupleVal(readVals(seg, p, resources, labels, false));
            case VARIANT -> new Val.VariantVal(labels.read(seg, p + VARIANT_NAME), unboxed(seg.get(PTR, p + VARIANT_VAL), resources, labels));
            case ENUM -> new Val.EnumVal(labels.read(seg, p));
            case OPTION -> new Val.OptionVal(unboxed(seg.get(PTR, p), resources, labels));
            case RESULT -> new Val.ResultVal(seg.get(JAVA_BOOLEAN, p + RESULT_OK), unboxed(seg.get(PTR, p + RESULT_VAL), resources, labels));
            case FLAGS -> {
                int n = vecSize(seg, p);
                MemorySegment data = vecData(seg, p, n * NAME_SIZE);
                String[] names = new String[n];
                for (int i = 0; i < n; i++) {
                    names[i] = labels.read(data, i * NAME_SIZE);
                }
                yield new Val.FlagsVal(immutable(names));
            }
            case RESOURCE -> resources.accept(seg.get(PTR, p));
            case MAP -> {
                int n = vecSize(seg, p);
                MemorySegment data = vecData(seg, p, n * MAP_ENTRY_SIZE);
                Val.MapVal.Entry[] entries = new Val.MapVal.Entry[n];
                for (int i = 0; i < n; i++) {
                    long e = i * MAP_ENTRY_SIZE;
                    entries[i] = new Val.MapVal.Entry(read(data, e + MAP_KEY, resources, labels), read(data, e + MAP_VALUE, resources, labels));
                }
                yield new Val.MapVal(immutable(entries));
            }
            // ofValue never answers these (they have no value code); the compiler wants every kind named.
            case OWN, BORROW, FUTURE, STREAM, ERROR_CONTEXT -> throw new IllegalStateException("not a kind of values: " + seg);
        };
    }

    /**
     * Labels (record field, case, enum and flag names) met while reading one value: a list of
     * records repeats the same few names, decoded once and then only compared. Direct-mapped on
     * the length and the first and last byte.
     */
    private static final class Labels {
        private static final int SLOTS = 32;
        private static final int MAX = 64;
        private byte[][] bytes;
        private String[] strings;

        String read(MemorySegment seg, long off) {
            long size = seg.get(SIZE_T, off + BYTES_SIZE);
            if (size == 0) {
                return "";
            }
            MemorySegment data = seg.get(PTR, off + BYTES_DATA).reinterpret(size);
            if (size > MAX) {
                return new String(data.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
            }
            if (bytes == null) {
                bytes = new byte[SLOTS][];
                strings = new String[SLOTS];
            }
            int slot = (int) (size * 31 + data.get(JAVA_BYTE, 0) * 7 + data.get(JAVA_BYTE, size - 1)) & (SLOTS - 1);
            byte[] known = bytes[slot];
            if (known != null && known.length == size
                    && MemorySegment.mismatch(data, 0, size, MemorySegment.ofArray(known), 0, size) == -1) {
                return strings[slot];
            }
            byte[] utf8 = data.toArray(JAVA_BYTE);
            String s = new String(utf8, StandardCharsets.UTF_8);
            bytes[slot] = utf8;
            strings[slot] = s;
            return s;
        }
    }

    /** Receives a resource found in a value read from native memory and returns its Java handle. */
    interface ResourceSink {
        Val accept(MemorySegment resourceAny);

        ResourceSink REJECT = r -> {
            throw new WasmtimeException("resources are not supported here");
        };
    }

    private static MemorySegment boxed(Val value, SegmentAllocator alloc) {
        if (value == null) {
            return MemorySegment.NULL;
        }
        MemorySegment box = alloc.allocate(VAL_SIZE, 8);
        write(value, box, 0, alloc);
        return box;
    }

    private static Val unboxed(MemorySegment ptr, ResourceSink resources, Labels labels) {
        if (ptr.equals(MemorySegment.NULL)) {
            return null;
        }
        return read(ptr.reinterpret(VAL_SIZE), 0, resources, labels);
    }

    private static void setVec(MemorySegment seg, long vec, long n, MemorySegment data) {
        seg.set(SIZE_T, vec + VEC_SIZE, n);
        seg.set(PTR, vec + VEC_DATA, data);
    }

    private static int vecSize(MemorySegment seg, long vec) {
        long n = seg.get(SIZE_T, vec + VEC_SIZE);
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new WasmtimeException("component value with " + n + " elements is too large");
        }
        return (int) n;
    }

    private static MemorySegment vecData(MemorySegment seg, long vec, long bytes) {
        return bytes == 0 ? MemorySegment.NULL : seg.get(PTR, vec + VEC_DATA).reinterpret(bytes);
    }

    /** The elements of a list or tuple; a list of scalars is written from its array in one loop. */
    private static void writeVals(List<Val> values, MemorySegment seg, long vec, SegmentAllocator alloc) {
        int n = values.size();
        MemorySegment data = n == 0 ? MemorySegment.NULL : alloc.allocate(VAL_SIZE * n, 8);
        if (values instanceof ScalarList scalars) {
            writeScalars(scalars, data);
        } else {
            for (int i = 0; i < n; i++) {
                write(values.get(i), data, VAL_SIZE * i, alloc);
            }
        }
        setVec(seg, vec, n, data);
    }

    /** One {@code wasmtime_component_val_t} per element: the kind byte and the payload, nothing else. */
    private static void writeScalars(ScalarList list, MemorySegment data) {
        byte k = SCALAR_KIND[list.kind().ordinal()];
        switch (list.array()) {
            case byte[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_BYTE, o + OF, a[i]);
                }
            }
            case boolean[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_BOOLEAN, o + OF, a[i]);
                }
            }
            case short[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_SHORT, o + OF, a[i]);
                }
            }
            case int[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_INT, o + OF, a[i]);
                }
            }
            case long[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_LONG, o + OF, a[i]);
                }
            }
            case float[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_FLOAT, o + OF, a[i]);
                }
            }
            case double[] a -> {
                for (int i = 0; i < a.length; i++) {
                    long o = VAL_SIZE * i;
                    data.set(JAVA_BYTE, o + KIND, k);
                    data.set(JAVA_DOUBLE, o + OF, a[i]);
                }
            }
            default -> throw new IllegalStateException("scalar list backed by " + list.array().getClass());
        }
    }

    /**
     * The elements of a list or tuple. A list's elements all have one type, so when the first is a
     * bool, integer or float the whole list is read into a primitive array ({@link ScalarList}).
     * Tuples are read element by element (their elements may differ).
     */
    private static List<Val> readVals(MemorySegment seg, long vec, ResourceSink resources, Labels labels, boolean list) {
        int n = vecSize(seg, vec);
        if (n == 0) {
            return List.of();
        }
        MemorySegment data = vecData(seg, vec, n * VAL_SIZE);
        int first = Byte.toUnsignedInt(data.get(JAVA_BYTE, KIND));
        ScalarList.Kind scalar = list ? SCALAR_OF_KIND[first] : null;
        if (scalar != null && sameKind(data, n, (byte) first)) {
            return readScalars(scalar, data, n);
        }
        Val[] out = new Val[n];
        for (int i = 0; i < n; i++) {
            out[i] = read(data, VAL_SIZE * i, resources, labels);
        }
        return immutable(out);
    }

    /** Every element has kind {@code k} (Wasmtime type-checks lists; this only guards the fast path). */
    private static boolean sameKind(MemorySegment data, int n, byte k) {
        for (int i = 0; i < n; i++) {
            if (data.get(JAVA_BYTE, VAL_SIZE * i + KIND) != k) {
                return false;
            }
        }
        return true;
    }

    private static ScalarList readScalars(ScalarList.Kind kind, MemorySegment data, int n) {
        Object array = switch (kind) {
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_BOOLEAN, VAL_SIZE * i + OF);
                }
                yield a;
            }
            case S8, U8 -> {
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_BYTE, VAL_SIZE * i + OF);
                }
                yield a;
            }
            case S16, U16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_SHORT, VAL_SIZE * i + OF);
                }
                yield a;
            }
            case S32, U32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_INT, VAL_SIZE * i + OF);
                }
                yield a;
            }
            case S64, U64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_LONG, VAL_SIZE * i + OF);
                }
                yield a;
            }
            case F32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_FLOAT, VAL_SIZE * i + OF);
                }
                yield a;
            }
            case F64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = data.get(JAVA_DOUBLE, VAL_SIZE * i + OF);
                }
                yield a;
            }
        };
        return ScalarList.wrap(kind, array);
    }

    /** An immutable list of a fresh array (List.of copies it once; the records' List.copyOf then keeps it). */
    @SafeVarargs
    private static <T> List<T> immutable(T... items) {
        return switch (items.length) {
            case 0 -> List.of();
            case 1 -> List.of(items[0]);
            case 2 -> List.of(items[0], items[1]);
            default -> List.of(items);
        };
    }

    static void writeName(String s, MemorySegment name, SegmentAllocator alloc) {
        writeName(s, name, 0, alloc);
    }

    private static void writeName(String s, MemorySegment seg, long off, SegmentAllocator alloc) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment data = bytes.length == 0 ? MemorySegment.NULL : alloc.allocateFrom(JAVA_BYTE, bytes);
        seg.set(SIZE_T, off + BYTES_SIZE, bytes.length);
        seg.set(PTR, off + BYTES_DATA, data);
    }

    /** A record field, case, enum or flag name: shared bytes per call where the allocator offers them. */
    private static void writeLabel(String s, MemorySegment seg, long off, SegmentAllocator alloc) {
        if (!(alloc instanceof ScratchAllocator scratch)) {
            writeName(s, seg, off, alloc);
            return;
        }
        MemorySegment bytes = scratch.label(s);
        seg.set(SIZE_T, off + BYTES_SIZE, bytes.byteSize());
        seg.set(PTR, off + BYTES_DATA, bytes);
    }

    static String readName(MemorySegment name) {
        return readName(name, 0);
    }

    private static String readName(MemorySegment seg, long off) {
        long size = seg.get(SIZE_T, off + BYTES_SIZE);
        if (size == 0) {
            return "";
        }
        MemorySegment data = seg.get(PTR, off + BYTES_DATA).reinterpret(size);
        return new String(data.toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }
}

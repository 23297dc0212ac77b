package dev.wassette.runtime;

import java.util.List;
import java.util.Objects;

/**
 * A component-model value. Unsigned integers are held in the next wider Java type ({@code u8},
 * {@code u16} as int, {@code u32} as long); {@code u64} keeps its 64 bits in a long (read it with
 * {@link Long#toUnsignedString}). {@code char} is a Unicode scalar value (code point).
 */
public sealed interface Val {

    record Bool(boolean value) implements Val {}

    record S8(byte value) implements Val {}

    record U8(int value) implements Val {
        public U8 {
            checkRange(value, 0, 0xFF, "u8");
        }
    }

    record S16(short value) implements Val {}

    record U16(int value) implements Val {
        public U16 {
            checkRange(value, 0, 0xFFFF, "u16");
        }
    }

    record S32(int value) implements Val {}

    record U32(long value) implements Val {
        public U32 {
            checkRange(value, 0, 0xFFFF_FFFFL, "u32");
        }
    }

    record S64(long value) implements Val {}

    /** The 64 bits of a u64 (values above {@link Long#MAX_VALUE} are negative here). */
    record U64(long bits) implements Val {
        @Override
        public String toString() {
            return "U64[" + Long.toUnsignedString(bits) + "]";
        }
    }

    record F32(float value) implements Val {}

    record F64(double value) implements Val {}

    /** A Unicode scalar value: a code point that is not a surrogate. */
    record Char(int codePoint) implements Val {
        public Char {
            if (!Character.isValidCodePoint(codePoint) || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
                throw new IllegalArgumentException("not a Unicode scalar value: " + codePoint);
            }
        }
    }

    record Str(String value) implements Val {
        public Str {
            Objects.requireNonNull(value);
        }
    }

    /**
     * A list. Lists of bool, integers and floats read from a guest are {@link ScalarList}s (one
     * primitive array); build one with {@link ScalarList#ofU8} etc. to pass bytes or numbers cheaply.
     * Any other list is copied into an immutable list.
     */
    record ListVal(List<Val> elements) implements Val {
        public ListVal {
            if (!(elements instanceof ScalarList)) {
                elements = List.copyOf(elements);
            }
        }

        /** A {@code list<u8>} of a copy of {@code bytes}. */
        public static ListVal ofBytes(byte[] bytes) {
            return new ListVal(ScalarList.ofU8(bytes));
        }
    }

    record Field(String name, Val value) {
        public Field {
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    /** Record fields, in the order of the record type. */
    record RecordVal(List<Field> fields) implements Val {
        public RecordVal {
            fields = List.copyOf(fields);
        }

        public Val get(String name) {
            for (Field f : fields) {
                if (f.name().equals(name)) {
                    return f.value();
                }
            }
            return null;
        }
    }

    record TupleVal(List<Val> elements) implements Val {
        public TupleVal {
            elements = List.copyOf(elements);
        }
    }

    /** A variant case; {@code payload} is null for a case without one. */
    record VariantVal(String caseName, Val payload) implements Val {
        public VariantVal {
            Objects.requireNonNull(caseName);
        }
    }

    record EnumVal(String name) implements Val {
        public EnumVal {
            Objects.requireNonNull(name);
        }
    }

    /** {@code some(value)}, or {@code none} when {@code value} is null. */
    record OptionVal(Val value) implements Val {
        public static final OptionVal NONE = new OptionVal(null);

        public boolean isSome() {
            return value != null;
        }
    }

    /** {@code ok(payload)} or {@code err(payload)}; {@code payload} null where the type has none. */
    record ResultVal(boolean isOk, Val payload) implements Val {
        public static ResultVal ok(Val payload) {
            return new ResultVal(true, payload);
        }

        public static ResultVal err(Val payload) {
            return new ResultVal(false, payload);
        }
    }

    /** The names of the flags that are set. */
    record FlagsVal(List<String> names) implements Val {
        public FlagsVal {
            names = List.copyOf(names);
        }
    }

    /** An opaque resource handle, valid only in the store it came from. */
    record ResourceVal(long handle, boolean owned) implements Val {}

    /** A map value (WIT {@code map<K, V>}), as key/value pairs. */
    record MapVal(List<Entry> entries) implements Val {
        public record Entry(Val key, Val value) {}

        public MapVal {
            entries = List.copyOf(entries);
        }
    }

    private static void checkRange(long value, long min, long max, String type) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(value + " is out of range for " + type);
        }
    }
}

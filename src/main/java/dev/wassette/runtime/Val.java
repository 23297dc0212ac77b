package dev.wassette.runtime;

import java.util.List;
import java.util.Objects;

/**
 * A component-model value. Unsigned integers are held in the next wider Java type ({@code u8},
 * {@code u16} as int, {@code u32} as long); {@code u64} keeps its 64 bits in a long (read it with
 * {@link Long#toUnsignedString}). {@code char} is a Unicode scalar value (code point).
 */
public sealed interface Val {

    /**
     * A {@code bool}.
     *
     * @param value the boolean
     */
    record Bool(boolean value) implements Val {}

    /**
     * An {@code s8}.
     *
     * @param value the signed 8-bit integer
     */
    record S8(byte value) implements Val {}

    /**
     * A {@code u8}, held in a wider signed type.
     *
     * @param value the unsigned value, 0 to 255
     */
    record U8(int value) implements Val {
        /**
         * Checks the range.
         *
         * @param value the unsigned value, 0 to 255
         * @throws IllegalArgumentException if {@code value} is out of range
         */
        public U8 {
            checkRange(value, 0, 0xFF, "u8");
        }
    }

    /**
     * An {@code s16}.
     *
     * @param value the signed 16-bit integer
     */
    record S16(short value) implements Val {}

    /**
     * A {@code u16}, held in a wider signed type.
     *
     * @param value the unsigned value, 0 to 65535
     */
    record U16(int value) implements Val {
        /**
         * Checks the range.
         *
         * @param value the unsigned value, 0 to 65535
         * @throws IllegalArgumentException if {@code value} is out of range
         */
        public U16 {
            checkRange(value, 0, 0xFFFF, "u16");
        }
    }

    /**
     * An {@code s32}.
     *
     * @param value the signed 32-bit integer
     */
    record S32(int value) implements Val {}

    /**
     * A {@code u32}, held in a wider signed type.
     *
     * @param value the unsigned value, 0 to 2<sup>32</sup>-1
     */
    record U32(long value) implements Val {
        /**
         * Checks the range.
         *
         * @param value the unsigned value, 0 to 2<sup>32</sup>-1
         * @throws IllegalArgumentException if {@code value} is out of range
         */
        public U32 {
            checkRange(value, 0, 0xFFFF_FFFFL, "u32");
        }
    }

    /**
     * An {@code s64}.
     *
     * @param value the signed 64-bit integer
     */
    record S64(long value) implements Val {}

    /**
     * The 64 bits of a u64 (values above {@link Long#MAX_VALUE} are negative here).
     *
     * @param bits the value's bits, to be read as unsigned
     */
    record U64(long bits) implements Val {
        @Override
        public String toString() {
            return "U64[" + Long.toUnsignedString(bits) + "]";
        }
    }

    /**
     * An {@code f32}.
     *
     * @param value the 32-bit float
     */
    record F32(float value) implements Val {}

    /**
     * An {@code f64}.
     *
     * @param value the 64-bit float
     */
    record F64(double value) implements Val {}

    /**
     * A {@code char}: a Unicode scalar value, i.e. a code point that is not a surrogate.
     *
     * @param codePoint the code point
     */
    record Char(int codePoint) implements Val {
        /**
         * Checks that {@code codePoint} is a Unicode scalar value.
         *
         * @param codePoint the code point
         * @throws IllegalArgumentException if it is not a valid code point or is a surrogate
         */
        public Char {
            if (!Character.isValidCodePoint(codePoint) || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
                throw new IllegalArgumentException("not a Unicode scalar value: " + codePoint);
            }
        }
    }

    /**
     * A {@code string}.
     *
     * @param value the string, not null
     */
    record Str(String value) implements Val {
        /**
         * Checks for null.
         *
         * @param value the string, not null
         */
        public Str {
            Objects.requireNonNull(value);
        }
    }

    /**
     * A list. Lists of bool, integers and floats read from a guest are {@link ScalarList}s (one
     * primitive array); build one with {@link ScalarList#ofU8} etc. to pass bytes or numbers cheaply.
     * Any other list is copied into an immutable list.
     *
     * @param elements the elements, in order
     */
    record ListVal(List<Val> elements) implements Val {
        /**
         * Keeps a {@link ScalarList} as it is and copies any other list.
         *
         * @param elements the elements, in order
         */
        public ListVal {
            if (!(elements instanceof ScalarList)) {
                elements = List.copyOf(elements);
            }
        }

        /**
         * A {@code list<u8>} of a copy of {@code bytes}.
         *
         * @param bytes the bytes, copied
         * @return the list value
         */
        public static ListVal ofBytes(byte[] bytes) {
            return new ListVal(ScalarList.ofU8(bytes));
        }
    }

    /**
     * A named field of a {@link RecordVal}.
     *
     * @param name the field name, not null
     * @param value the field value, not null
     */
    record Field(String name, Val value) {
        /**
         * Checks for null.
         *
         * @param name the field name, not null
         * @param value the field value, not null
         */
        public Field {
            Objects.requireNonNull(name);
            Objects.requireNonNull(value);
        }
    }

    /**
     * A {@code record}.
     *
     * @param fields the record fields, in the order of the record type
     */
    record RecordVal(List<Field> fields) implements Val {
        /**
         * Copies {@code fields} into an immutable list.
         *
         * @param fields the record fields, in the order of the record type
         */
        public RecordVal {
            fields = List.copyOf(fields);
        }

        /**
         * The value of the field named {@code name}.
         *
         * @param name a field name
         * @return the field's value, or null if there is no such field
         */
        public Val get(String name) {
            for (Field f : fields) {
                if (f.name().equals(name)) {
                    return f.value();
                }
            }
            return null;
        }
    }

    /**
     * A {@code tuple}.
     *
     * @param elements the elements, in order
     */
    record TupleVal(List<Val> elements) implements Val {
        /**
         * Copies {@code elements} into an immutable list.
         *
         * @param elements the elements, in order
         */
        public TupleVal {
            elements = List.copyOf(elements);
        }
    }

    /**
     * A {@code variant} value: one case, with its payload if the case has one.
     *
     * @param caseName the case name, not null
     * @param payload the payload, or null for a case without one
     */
    record VariantVal(String caseName, Val payload) implements Val {
        /**
         * Checks that {@code caseName} is not null.
         *
         * @param caseName the case name, not null
         * @param payload the payload, or null for a case without one
         */
        public VariantVal {
            Objects.requireNonNull(caseName);
        }
    }

    /**
     * An {@code enum} value.
     *
     * @param name the case name, not null
     */
    record EnumVal(String name) implements Val {
        /**
         * Checks for null.
         *
         * @param name the case name, not null
         */
        public EnumVal {
            Objects.requireNonNull(name);
        }
    }

    /**
     * An {@code option}: {@code some(value)}, or {@code none} when {@code value} is null.
     *
     * @param value the value, or null for {@code none}
     */
    record OptionVal(Val value) implements Val {
        /** {@code none}. */
        public static final OptionVal NONE = new OptionVal(null);

        /**
         * Whether this is {@code some}.
         *
         * @return true if {@code value} is not null
         */
        public boolean isSome() {
            return value != null;
        }
    }

    /**
     * A {@code result}: {@code ok(payload)} or {@code err(payload)}.
     *
     * @param isOk true for {@code ok}, false for {@code err}
     * @param payload the payload, or null where the type has none
     */
    record ResultVal(boolean isOk, Val payload) implements Val {
        /**
         * An {@code ok} result.
         *
         * @param payload the payload, or null where the type has none
         * @return the result value
         */
        public static ResultVal ok(Val payload) {
            return new ResultVal(true, payload);
        }

        /**
         * An {@code err} result.
         *
         * @param payload the payload, or null where the type has none
         * @return the result value
         */
        public static ResultVal err(Val payload) {
            return new ResultVal(false, payload);
        }
    }

    /**
     * A {@code flags} value.
     *
     * @param names the names of the flags that are set
     */
    record FlagsVal(List<String> names) implements Val {
        /**
         * Copies {@code names} into an immutable list.
         *
         * @param names the names of the flags that are set
         */
        public FlagsVal {
            names = List.copyOf(names);
        }
    }

    /**
     * An opaque resource handle, valid only in the store it came from.
     *
     * @param handle the handle, meaningful only to that store
     * @param owned true for {@code own<R>}, false for {@code borrow<R>}
     */
    record ResourceVal(long handle, boolean owned) implements Val {}

    /**
     * A map value (WIT {@code map<K, V>}), as key/value pairs.
     *
     * @param entries the entries, in order
     */
    record MapVal(List<Entry> entries) implements Val {
        /**
         * One key/value pair of a map.
         *
         * @param key the key
         * @param value the value
         */
        public record Entry(Val key, Val value) {}

        /**
         * Copies {@code entries} into an immutable list.
         *
         * @param entries the entries, in order
         */
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

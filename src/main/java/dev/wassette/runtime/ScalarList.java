package dev.wassette.runtime;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An immutable list of scalar component values of one kind, held in a primitive array: a
 * {@code list<u8>} of 1 MiB is one {@code byte[]} instead of a million {@link Val.U8} objects. Use it
 * as the elements of a {@link Val.ListVal} ({@code new Val.ListVal(ScalarList.ofU8(bytes))}); values
 * read back from a guest come in this form for every non-empty list of bool, integers or floats (an
 * empty list, whose element type the C value does not carry, is {@code List.of()}).
 *
 * <p>It is a {@code List<Val>} like any other: {@link #get} hands out the element as a {@link Val}
 * (u8, s8 and bool from shared instances, others boxed on each call), and it equals any list with the
 * same values. Marshalling reads the array directly; {@link #kind()} and the typed accessors
 * ({@link #toByteArray()}, {@link #longAt}, {@link #doubleAt}) do the same for callers.
 */
public final class ScalarList extends AbstractList<Val> implements RandomAccess {

    /** The element type; the names are the WIT types. */
    public enum Kind {
        /** {@code bool}, in a {@code boolean[]}. */ BOOL,
        /** {@code s8}, in a {@code byte[]}. */ S8,
        /** {@code u8}, in a {@code byte[]} read as unsigned. */ U8,
        /** {@code s16}, in a {@code short[]}. */ S16,
        /** {@code u16}, in a {@code short[]} read as unsigned. */ U16,
        /** {@code s32}, in an {@code int[]}. */ S32,
        /** {@code u32}, in an {@code int[]} read as unsigned. */ U32,
        /** {@code s64}, in a {@code long[]}. */ S64,
        /** {@code u64}, in a {@code long[]} read as unsigned. */ U64,
        /** {@code f32}, in a {@code float[]}. */ F32,
        /** {@code f64}, in a {@code double[]}. */ F64 }

    private static final Val.U8[] U8_VALUES = new Val.U8[256];
    private static final Val.S8[] S8_VALUES = new Val.S8[256];
    private static final Val.Bool TRUE = new Val.Bool(true);
    private static final Val.Bool FALSE = new Val.Bool(false);

    static {
        for (int i = 0; i < 256; i++) {
            U8_VALUES[i] = new Val.U8(i);
            S8_VALUES[i] = new Val.S8((byte) i);
        }
    }

    private final Kind kind;
    /** boolean[] (bool), byte[] (s8, u8), short[] (s16, u16), int[] (s32, u32), long[] (s64, u64), float[], double[]. */
    private final Object array;
    private final int size;

    private ScalarList(Kind kind, Object array, int size) {
        this.kind = kind;
        this.array = array;
        this.size = size;
    }

    // Package-private: wrap an array the caller hands over (never touched again).
    static ScalarList wrap(Kind kind, Object array) {
        return new ScalarList(kind, array, java.lang.reflect.Array.getLength(array));
    }

    /**
     * A {@code list<bool>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofBool(boolean... values) {
        return new ScalarList(Kind.BOOL, values.clone(), values.length);
    }

    /**
     * A {@code list<s8>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofS8(byte... values) {
        return new ScalarList(Kind.S8, values.clone(), values.length);
    }

    /**
     * A {@code list<u8>}: each byte is read as unsigned (0–255). The array is copied.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofU8(byte... values) {
        return new ScalarList(Kind.U8, values.clone(), values.length);
    }

    /**
     * A {@code list<s16>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofS16(short... values) {
        return new ScalarList(Kind.S16, values.clone(), values.length);
    }

    /**
     * A {@code list<u16>}: each short is read as unsigned. The array is copied.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofU16(short... values) {
        return new ScalarList(Kind.U16, values.clone(), values.length);
    }

    /**
     * A {@code list<s32>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofS32(int... values) {
        return new ScalarList(Kind.S32, values.clone(), values.length);
    }

    /**
     * A {@code list<u32>}: each int is read as unsigned. The array is copied.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofU32(int... values) {
        return new ScalarList(Kind.U32, values.clone(), values.length);
    }

    /**
     * A {@code list<s64>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofS64(long... values) {
        return new ScalarList(Kind.S64, values.clone(), values.length);
    }

    /**
     * A {@code list<u64>}: each long holds the 64 bits (as {@link Val.U64}). The array is copied.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofU64(long... values) {
        return new ScalarList(Kind.U64, values.clone(), values.length);
    }

    /**
     * A {@code list<f32>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofF32(float... values) {
        return new ScalarList(Kind.F32, values.clone(), values.length);
    }

    /**
     * A {@code list<f64>} of a copy of {@code values}.
     *
     * @param values the elements, copied
     * @return the list
     */
    public static ScalarList ofF64(double... values) {
        return new ScalarList(Kind.F64, values.clone(), values.length);
    }

    /**
     * The element type.
     *
     * @return the kind of every element
     */
    public Kind kind() {
        return kind;
    }

    /** The backing array (package-private: marshalling reads it in place). */
    Object array() {
        return array;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Val get(int i) {
        Objects.checkIndex(i, size);
        return switch (kind) {
            case BOOL -> ((boolean[]) array)[i] ? TRUE : FALSE;
            case S8 -> S8_VALUES[((byte[]) array)[i] & 0xFF];
            case U8 -> U8_VALUES[((byte[]) array)[i] & 0xFF];
            case S16 -> new Val.S16(((short[]) array)[i]);
            case U16 -> new Val.U16(Short.toUnsignedInt(((short[]) array)[i]));
            case S32 -> new Val.S32(((int[]) array)[i]);
            case U32 -> new Val.U32(Integer.toUnsignedLong(((int[]) array)[i]));
            case S64 -> new Val.S64(((long[]) array)[i]);
            case U64 -> new Val.U64(((long[]) array)[i]);
            case F32 -> new Val.F32(((float[]) array)[i]);
            case F64 -> new Val.F64(((double[]) array)[i]);
        };
    }

    /**
     * Element {@code i} as a long: integers by value (unsigned kinds zero-extended; u64 as its 64
     * bits), bool as 0 or 1. Not for floats.
     *
     * @param i the index
     * @return the element as a long
     * @throws IndexOutOfBoundsException if {@code i} is out of range
     * @throws IllegalStateException if this is a list of f32 or f64
     */
    public long longAt(int i) {
        Objects.checkIndex(i, size);
        return switch (kind) {
            case BOOL -> ((boolean[]) array)[i] ? 1 : 0;
            case S8 -> ((byte[]) array)[i];
            case U8 -> ((byte[]) array)[i] & 0xFF;
            case S16 -> ((short[]) array)[i];
            case U16 -> ((short[]) array)[i] & 0xFFFF;
            case S32 -> ((int[]) array)[i];
            case U32 -> Integer.toUnsignedLong(((int[]) array)[i]);
            case S64, U64 -> ((long[]) array)[i];
            case F32, F64 -> throw new IllegalStateException("a list of " + kind + " has no integer elements");
        };
    }

    /**
     * Element {@code i} of a list of f32 or f64.
     *
     * @param i the index
     * @return the element as a double
     * @throws IndexOutOfBoundsException if {@code i} is out of range
     * @throws IllegalStateException if this is not a list of floats
     */
    public double doubleAt(int i) {
        Objects.checkIndex(i, size);
        return switch (kind) {
            case F32 -> ((float[]) array)[i];
            case F64 -> ((double[]) array)[i];
            default -> throw new IllegalStateException("a list of " + kind + " has no float elements");
        };
    }

    /**
     * A copy of the elements of a list of u8 or s8.
     *
     * @return a new array of the bytes
     * @throws IllegalStateException if this is not a list of u8 or s8
     */
    public byte[] toByteArray() {
        if (kind != Kind.U8 && kind != Kind.S8) {
            throw new IllegalStateException("a list of " + kind + " is not bytes");
        }
        return ((byte[]) array).clone();
    }

    @Override
    public boolean equals(Object o) {
        if (o instanceof ScalarList other && other.kind == kind) {
            return switch (array) {
                case boolean[] a -> Arrays.equals(a, (boolean[]) other.array);
                case byte[] a -> Arrays.equals(a, (byte[]) other.array);
                case short[] a -> Arrays.equals(a, (short[]) other.array);
                case int[] a -> Arrays.equals(a, (int[]) other.array);
                case long[] a -> Arrays.equals(a, (long[]) other.array);
                // Arrays.equals on floats compares bit patterns with NaN canonicalised, as the
                // records Val.F32/F64 do (Float.compare/Double.compare).
                case float[] a -> Arrays.equals(a, (float[]) other.array);
                case double[] a -> Arrays.equals(a, (double[]) other.array);
                default -> throw new IllegalStateException();
            };
        }
        return o instanceof List<?> && super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}

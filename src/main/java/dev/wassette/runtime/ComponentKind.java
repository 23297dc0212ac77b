package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

/**
 * The kinds of component-model values and types, with the C API's codes for each: a value's
 * {@code wasmtime_component_val_t.kind} and a type's {@code wasmtime_component_valtype_t.kind}
 * (two numberings: types have own/borrow, future, stream and error-context, values one resource
 * kind). Built from the generated constants, so the codes cannot drift from the headers; switches
 * over it are checked by the compiler, so a kind added here must be handled everywhere.
 */
enum ComponentKind {
    BOOL(WASMTIME_COMPONENT_BOOL(), WASMTIME_COMPONENT_VALTYPE_BOOL()),
    S8(WASMTIME_COMPONENT_S8(), WASMTIME_COMPONENT_VALTYPE_S8()),
    U8(WASMTIME_COMPONENT_U8(), WASMTIME_COMPONENT_VALTYPE_U8()),
    S16(WASMTIME_COMPONENT_S16(), WASMTIME_COMPONENT_VALTYPE_S16()),
    U16(WASMTIME_COMPONENT_U16(), WASMTIME_COMPONENT_VALTYPE_U16()),
    S32(WASMTIME_COMPONENT_S32(), WASMTIME_COMPONENT_VALTYPE_S32()),
    U32(WASMTIME_COMPONENT_U32(), WASMTIME_COMPONENT_VALTYPE_U32()),
    S64(WASMTIME_COMPONENT_S64(), WASMTIME_COMPONENT_VALTYPE_S64()),
    U64(WASMTIME_COMPONENT_U64(), WASMTIME_COMPONENT_VALTYPE_U64()),
    F32(WASMTIME_COMPONENT_F32(), WASMTIME_COMPONENT_VALTYPE_F32()),
    F64(WASMTIME_COMPONENT_F64(), WASMTIME_COMPONENT_VALTYPE_F64()),
    CHAR(WASMTIME_COMPONENT_CHAR(), WASMTIME_COMPONENT_VALTYPE_CHAR()),
    STRING(WASMTIME_COMPONENT_STRING(), WASMTIME_COMPONENT_VALTYPE_STRING()),
    LIST(WASMTIME_COMPONENT_LIST(), WASMTIME_COMPONENT_VALTYPE_LIST()),
    RECORD(WASMTIME_COMPONENT_RECORD(), WASMTIME_COMPONENT_VALTYPE_RECORD()),
    TUPLE(WASMTIME_COMPONENT_TUPLE(), WASMTIME_COMPONENT_VALTYPE_TUPLE()),
    VARIANT(WASMTIME_COMPONENT_VARIANT(), WASMTIME_COMPONENT_VALTYPE_VARIANT()),
    ENUM(WASMTIME_COMPONENT_ENUM(), WASMTIME_COMPONENT_VALTYPE_ENUM()),
    OPTION(WASMTIME_COMPONENT_OPTION(), WASMTIME_COMPONENT_VALTYPE_OPTION()),
    RESULT(WASMTIME_COMPONENT_RESULT(), WASMTIME_COMPONENT_VALTYPE_RESULT()),
    FLAGS(WASMTIME_COMPONENT_FLAGS(), WASMTIME_COMPONENT_VALTYPE_FLAGS()),
    MAP(WASMTIME_COMPONENT_MAP(), WASMTIME_COMPONENT_VALTYPE_MAP()),
    /** A resource handle as a value; its type is {@link #OWN} or {@link #BORROW}. */
    RESOURCE(WASMTIME_COMPONENT_RESOURCE(), ComponentKind.NONE),
    OWN(ComponentKind.NONE, WASMTIME_COMPONENT_VALTYPE_OWN()),
    BORROW(ComponentKind.NONE, WASMTIME_COMPONENT_VALTYPE_BORROW()),
    FUTURE(ComponentKind.NONE, WASMTIME_COMPONENT_VALTYPE_FUTURE()),
    STREAM(ComponentKind.NONE, WASMTIME_COMPONENT_VALTYPE_STREAM()),
    ERROR_CONTEXT(ComponentKind.NONE, WASMTIME_COMPONENT_VALTYPE_ERROR_CONTEXT());

    /** Not a kind of values (or of types). */
    private static final int NONE = -1;
    private static final ComponentKind[] BY_VALUE_CODE = new ComponentKind[256];
    private static final ComponentKind[] BY_TYPE_CODE = new ComponentKind[256];

    static {
        for (ComponentKind k : values()) {
            if (k.valueCode != NONE) {
                BY_VALUE_CODE[k.valueCode] = k;
            }
            if (k.typeCode != NONE) {
                BY_TYPE_CODE[k.typeCode] = k;
            }
        }
    }

    private final int valueCode;
    private final int typeCode;

    ComponentKind(int valueCode, int typeCode) {
        this.valueCode = valueCode;
        this.typeCode = typeCode;
    }

    /** The kind byte of a {@code wasmtime_component_val_t} of this kind. */
    byte valueCode() {
        if (valueCode == NONE) {
            throw new IllegalStateException(this + " is a kind of types, not of values");
        }
        return (byte) valueCode;
    }

    /** Whether a value of this kind can hold names (record fields, cases, enum and flag names). */
    boolean holdsLabels() {
        return switch (this) {
            case BOOL, S8, U8, S16, U16, S32, U32, S64, U64, F32, F64, CHAR, STRING, RESOURCE, OWN, BORROW, FUTURE, STREAM,
                 ERROR_CONTEXT -> false;
            case LIST, RECORD, TUPLE, VARIANT, ENUM, OPTION, RESULT, FLAGS, MAP -> true;
        };
    }

    /** The kind of a value's kind byte; unknown codes are an error, never guessed. */
    static ComponentKind ofValue(int code) {
        ComponentKind k = code >= 0 && code < 256 ? BY_VALUE_CODE[code] : null;
        if (k == null) {
            throw new WasmtimeException("unknown component value kind " + code);
        }
        return k;
    }

    /** The kind of a type's kind byte, or null for a code this build does not know. */
    static ComponentKind ofType(int code) {
        return code >= 0 && code < 256 ? BY_TYPE_CODE[code] : null;
    }
}

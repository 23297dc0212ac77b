package dev.wassette.runtime;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A WIT value type as Wasmtime reports it for a component's functions. Type names (the WIT
 * identifiers of records, variants, ...) are not part of a component's type information, so
 * compound types are structural.
 */
public sealed interface WitType {

    /**
     * This type in WIT syntax; compound types are spelled out inline.
     *
     * @return the WIT spelling, e.g. {@code list<u8>}
     */
    String wit();

    /** The primitive types; each constant's {@link #wit()} is its WIT name. */
    enum Primitive implements WitType {
        /** {@code bool}. */ BOOL("bool"),
        /** {@code s8}. */ S8("s8"),
        /** {@code u8}. */ U8("u8"),
        /** {@code s16}. */ S16("s16"),
        /** {@code u16}. */ U16("u16"),
        /** {@code s32}. */ S32("s32"),
        /** {@code u32}. */ U32("u32"),
        /** {@code s64}. */ S64("s64"),
        /** {@code u64}. */ U64("u64"),
        /** {@code f32}. */ F32("f32"),
        /** {@code f64}. */ F64("f64"),
        /** {@code char}. */ CHAR("char"),
        /** {@code string}. */ STRING("string");

        private final String wit;

        Primitive(String wit) {
            this.wit = wit;
        }

        @Override
        public String wit() {
            return wit;
        }
    }

    /**
     * {@code list<T>}.
     *
     * @param element the element type
     */
    record ListType(WitType element) implements WitType {
        @Override
        public String wit() {
            return "list<" + element.wit() + ">";
        }
    }

    /**
     * A field of a {@link RecordType}.
     *
     * @param name the field name
     * @param type the field type
     */
    record Field(String name, WitType type) {}

    /**
     * A {@code record}.
     *
     * @param fields the fields, in declaration order
     */
    record RecordType(List<Field> fields) implements WitType {
        /**
         * Copies {@code fields} into an immutable list.
         *
         * @param fields the fields, in declaration order
         */
        public RecordType {
            fields = List.copyOf(fields);
        }

        @Override
        public String wit() {
            return fields.stream().map(f -> f.name() + ": " + f.type().wit())
                    .collect(Collectors.joining(", ", "record { ", " }"));
        }
    }

    /**
     * {@code tuple<...>}.
     *
     * @param types the element types, in order
     */
    record TupleType(List<WitType> types) implements WitType {
        /**
         * Copies {@code types} into an immutable list.
         *
         * @param types the element types, in order
         */
        public TupleType {
            types = List.copyOf(types);
        }

        @Override
        public String wit() {
            return types.stream().map(WitType::wit).collect(Collectors.joining(", ", "tuple<", ">"));
        }
    }

    /**
     * A case of a {@link VariantType}.
     *
     * @param name the case name
     * @param type the payload type, or null for a case without payload
     */
    record Case(String name, WitType type) {}

    /**
     * A {@code variant}.
     *
     * @param cases the cases, in declaration order
     */
    record VariantType(List<Case> cases) implements WitType {
        /**
         * Copies {@code cases} into an immutable list.
         *
         * @param cases the cases, in declaration order
         */
        public VariantType {
            cases = List.copyOf(cases);
        }

        /**
         * The case named {@code name}.
         *
         * @param name a case name
         * @return the case, or null if there is none of that name
         */
        public Case find(String name) {
            for (Case c : cases) {
                if (c.name().equals(name)) {
                    return c;
                }
            }
            return null;
        }

        @Override
        public String wit() {
            return cases.stream().map(c -> c.type() == null ? c.name() : c.name() + "(" + c.type().wit() + ")")
                    .collect(Collectors.joining(", ", "variant { ", " }"));
        }
    }

    /**
     * An {@code enum}.
     *
     * @param names the case names, in declaration order
     */
    record EnumType(List<String> names) implements WitType {
        /**
         * Copies {@code names} into an immutable list.
         *
         * @param names the case names, in declaration order
         */
        public EnumType {
            names = List.copyOf(names);
        }

        @Override
        public String wit() {
            return String.join(", ", names).transform(s -> "enum { " + s + " }");
        }
    }

    /**
     * {@code option<T>}.
     *
     * @param type the type of the {@code some} value
     */
    record OptionType(WitType type) implements WitType {
        @Override
        public String wit() {
            return "option<" + type.wit() + ">";
        }
    }

    /**
     * {@code result<T, E>}; {@code ok} and {@code err} are null where the WIT type has no payload
     * ({@code result<_, E>}).
     *
     * @param ok the {@code ok} payload type, or null
     * @param err the {@code err} payload type, or null
     */
    record ResultType(WitType ok, WitType err) implements WitType {
        @Override
        public String wit() {
            if (ok == null && err == null) {
                return "result";
            }
            return "result<" + (ok == null ? "_" : ok.wit()) + (err == null ? "" : ", " + err.wit()) + ">";
        }
    }

    /**
     * {@code flags}.
     *
     * @param names the flag names, in declaration order
     */
    record FlagsType(List<String> names) implements WitType {
        /**
         * Copies {@code names} into an immutable list.
         *
         * @param names the flag names, in declaration order
         */
        public FlagsType {
            names = List.copyOf(names);
        }

        @Override
        public String wit() {
            return "flags { " + String.join(", ", names) + " }";
        }
    }

    /**
     * An {@code own<R>} or {@code borrow<R>} handle; resources cross only as opaque handles.
     *
     * @param owned true for {@code own<R>}, false for {@code borrow<R>}
     */
    record ResourceType(boolean owned) implements WitType {
        @Override
        public String wit() {
            return owned ? "own<resource>" : "borrow<resource>";
        }
    }

    /**
     * {@code map<K, V>}.
     *
     * @param key the key type
     * @param value the value type
     */
    record MapType(WitType key, WitType value) implements WitType {
        @Override
        public String wit() {
            return "map<" + key.wit() + ", " + value.wit() + ">";
        }
    }

    /**
     * Types this runtime cannot pass (future, stream, error-context, fixed-length list).
     *
     * @param kind the type's kind as reported, e.g. {@code future}; also its {@link #wit()}
     */
    record UnsupportedType(String kind) implements WitType {
        @Override
        public String wit() {
            return kind;
        }
    }
}

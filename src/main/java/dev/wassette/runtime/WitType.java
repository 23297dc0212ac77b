package dev.wassette.runtime;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A WIT value type as Wasmtime reports it for a component's functions. Type names (the WIT
 * identifiers of records, variants, ...) are not part of a component's type information, so
 * compound types are structural.
 */
public sealed interface WitType {

    /** This type in WIT syntax; compound types are spelled out inline. */
    String wit();

    enum Primitive implements WitType {
        BOOL("bool"), S8("s8"), U8("u8"), S16("s16"), U16("u16"), S32("s32"), U32("u32"), S64("s64"), U64("u64"),
        F32("f32"), F64("f64"), CHAR("char"), STRING("string");

        private final String wit;

        Primitive(String wit) {
            this.wit = wit;
        }

        @Override
        public String wit() {
            return wit;
        }
    }

    record ListType(WitType element) implements WitType {
        @Override
        public String wit() {
            return "list<" + element.wit() + ">";
        }
    }

    record Field(String name, WitType type) {}

    record RecordType(List<Field> fields) implements WitType {
        public RecordType {
            fields = List.copyOf(fields);
        }

        @Override
        public String wit() {
            return fields.stream().map(f -> f.name() + ": " + f.type().wit())
                    .collect(Collectors.joining(", ", "record { ", " }"));
        }
    }

    record TupleType(List<WitType> types) implements WitType {
        public TupleType {
            types = List.copyOf(types);
        }

        @Override
        public String wit() {
            return types.stream().map(WitType::wit).collect(Collectors.joining(", ", "tuple<", ">"));
        }
    }

    /** A variant case; {@code type} is null for a case without payload. */
    record Case(String name, WitType type) {}

    record VariantType(List<Case> cases) implements WitType {
        public VariantType {
            cases = List.copyOf(cases);
        }

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

    record EnumType(List<String> names) implements WitType {
        public EnumType {
            names = List.copyOf(names);
        }

        @Override
        public String wit() {
            return String.join(", ", names).transform(s -> "enum { " + s + " }");
        }
    }

    record OptionType(WitType type) implements WitType {
        @Override
        public String wit() {
            return "option<" + type.wit() + ">";
        }
    }

    /** {@code ok} and {@code err} are null where the WIT type has no payload ({@code result<_, E>}). */
    record ResultType(WitType ok, WitType err) implements WitType {
        @Override
        public String wit() {
            if (ok == null && err == null) {
                return "result";
            }
            return "result<" + (ok == null ? "_" : ok.wit()) + (err == null ? "" : ", " + err.wit()) + ">";
        }
    }

    record FlagsType(List<String> names) implements WitType {
        public FlagsType {
            names = List.copyOf(names);
        }

        @Override
        public String wit() {
            return "flags { " + String.join(", ", names) + " }";
        }
    }

    /** An {@code own<R>} or {@code borrow<R>} handle; resources cross only as opaque handles. */
    record ResourceType(boolean owned) implements WitType {
        @Override
        public String wit() {
            return owned ? "own<resource>" : "borrow<resource>";
        }
    }

    record MapType(WitType key, WitType value) implements WitType {
        @Override
        public String wit() {
            return "map<" + key.wit() + ", " + value.wit() + ">";
        }
    }

    /** Types this runtime cannot pass (future, stream, error-context). */
    record UnsupportedType(String kind) implements WitType {
        @Override
        public String wit() {
            return kind;
        }
    }
}

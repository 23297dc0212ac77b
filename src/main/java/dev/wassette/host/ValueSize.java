package dev.wassette.host;

import dev.wassette.runtime.ScalarList;
import dev.wassette.runtime.Val;

/** Approximate size of a value as it crosses to the client (bytes of text and numbers). */
final class ValueSize {
    private ValueSize() {}

    static long of(Val v) {
        if (v == null) {
            return 0;
        }
        return switch (v) {
            case Val.Str s -> s.value().length() + 2L;
            // A scalar is 8 (as below) plus a separator.
            case Val.ListVal l when l.elements() instanceof ScalarList s -> 2 + 9L * s.size();
            case Val.ListVal l -> 2 + l.elements().stream().mapToLong(ValueSize::of).sum() + l.elements().size();
            case Val.TupleVal t -> 2 + t.elements().stream().mapToLong(ValueSize::of).sum() + t.elements().size();
            case Val.RecordVal r -> 2 + r.fields().stream().mapToLong(f -> f.name().length() + 4 + of(f.value())).sum();
            case Val.VariantVal x -> 16 + x.caseName().length() + of(x.payload());
            case Val.OptionVal o -> o.value() == null ? 4 : of(o.value());
            case Val.ResultVal r -> 8 + of(r.payload());
            case Val.FlagsVal f -> 2 + f.names().stream().mapToLong(n -> n.length() + 3).sum();
            case Val.EnumVal e -> e.name().length() + 2;
            case Val.MapVal m -> 2 + m.entries().stream().mapToLong(e -> of(e.key()) + of(e.value()) + 2).sum();
            // Every scalar counts 8 (its text is at most 20 digits; most are short), as in lists above.
            case Val.Bool _, Val.S8 _, Val.U8 _, Val.S16 _, Val.U16 _, Val.S32 _, Val.U32 _, Val.S64 _, Val.U64 _,
                 Val.F32 _, Val.F64 _, Val.Char _, Val.ResourceVal _ -> 8;
        };
    }
}

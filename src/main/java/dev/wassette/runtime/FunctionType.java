package dev.wassette.runtime;

import java.util.List;
import java.util.stream.Collectors;

/** Parameters and result of a component function. {@code result} is null for a function without one. */
public record FunctionType(List<Param> params, WitType result) {
    public record Param(String name, WitType type) {}

    public FunctionType {
        params = List.copyOf(params);
    }

    /** {@code func(a: s32, b: s32) -> s32}. */
    public String wit() {
        String ps = params.stream().map(p -> p.name() + ": " + p.type().wit()).collect(Collectors.joining(", "));
        return "func(" + ps + ")" + (result == null ? "" : " -> " + result.wit());
    }
}

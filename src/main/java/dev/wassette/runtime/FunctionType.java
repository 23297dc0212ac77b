package dev.wassette.runtime;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Parameters and result of a component function.
 *
 * @param params the parameters, in order
 * @param result the result type, or null for a function without one
 */
public record FunctionType(List<Param> params, WitType result) {
    /**
     * One parameter.
     *
     * @param name the parameter name
     * @param type the parameter type
     */
    public record Param(String name, WitType type) {}

    /**
     * Copies {@code params} into an immutable list.
     *
     * @param params the parameters, in order
     * @param result the result type, or null for a function without one
     */
    public FunctionType {
        params = List.copyOf(params);
    }

    /**
     * This type in WIT syntax, e.g. {@code func(a: s32, b: s32) -> s32}.
     *
     * @return the WIT spelling
     */
    public String wit() {
        String ps = params.stream().map(p -> p.name() + ": " + p.type().wit()).collect(Collectors.joining(", "));
        return "func(" + ps + ")" + (result == null ? "" : " -> " + result.wit());
    }
}

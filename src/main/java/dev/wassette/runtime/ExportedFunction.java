package dev.wassette.runtime;

/**
 * A function a component exports: at world level ({@code interfaceName} null) or inside an
 * exported interface instance such as {@code my:pkg/tools}.
 */
public record ExportedFunction(String interfaceName, String name, FunctionType type) {

    /** {@code name} for world-level functions, {@code interface#name} otherwise (the CLI's spelling). */
    public String qualifiedName() {
        return interfaceName == null ? name : interfaceName + "#" + name;
    }

    /** {@code name: func(...) -> ...}. */
    public String wit() {
        return name + ": " + type.wit();
    }
}

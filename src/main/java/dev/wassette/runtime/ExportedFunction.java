package dev.wassette.runtime;

/**
 * A function a component exports: at world level ({@code interfaceName} null) or inside an
 * exported interface instance such as {@code my:pkg/tools}.
 *
 * @param interfaceName the exporting interface, or null at world level
 * @param name the function name
 * @param type the function's type
 */
public record ExportedFunction(String interfaceName, String name, FunctionType type) {

    /**
     * {@code name} for world-level functions, {@code interface#name} otherwise (the CLI's spelling).
     *
     * @return the qualified name
     */
    public String qualifiedName() {
        return interfaceName == null ? name : interfaceName + "#" + name;
    }

    /**
     * The function in WIT syntax: {@code name: func(...) -> ...}.
     *
     * @return the WIT spelling
     */
    public String wit() {
        return name + ": " + type.wit();
    }
}

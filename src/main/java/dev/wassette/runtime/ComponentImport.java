package dev.wassette.runtime;

/**
 * One import of a component, as named in its binary: an interface instance such as
 * {@code wasi:cli/environment@0.2.3}, or a world-level function, type, resource, module or component.
 *
 * @param typesOnly an interface that exports nothing but types: Wasmtime links it with nothing defined
 */
public record ComponentImport(String name, Kind kind, boolean typesOnly) {
    public ComponentImport(String name, Kind kind) {
        this(name, kind, false);
    }

    public enum Kind {
        INSTANCE("interface"), FUNCTION("function"), TYPE("type"), RESOURCE("resource"),
        MODULE("core module"), COMPONENT("component"), CORE_FUNCTION("core function");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** How the kind reads in messages ("interface", "function", ...). */
        public String label() {
            return label;
        }
    }
}

package dev.wassette.runtime;

/**
 * One import of a component, as named in its binary: an interface instance such as
 * {@code wasi:cli/environment@0.2.3}, or a world-level function, type, resource, module or component.
 *
 * @param name the import name as in the binary
 * @param kind what is imported
 * @param typesOnly an interface that exports nothing but types: Wasmtime links it with nothing defined
 */
public record ComponentImport(String name, Kind kind, boolean typesOnly) {
    /**
     * An import that is not types-only.
     *
     * @param name the import name as in the binary
     * @param kind what is imported
     */
    public ComponentImport(String name, Kind kind) {
        this(name, kind, false);
    }

    /** What an import is. */
    public enum Kind {
        /** An interface instance. */ INSTANCE("interface"),
        /** A world-level function. */ FUNCTION("function"),
        /** A type. */ TYPE("type"),
        /** A resource type. */ RESOURCE("resource"),
        /** A core wasm module. */ MODULE("core module"),
        /** A nested component. */ COMPONENT("component"),
        /** A core wasm function. */ CORE_FUNCTION("core function");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /**
         * How the kind reads in messages ("interface", "function", ...).
         *
         * @return the label
         */
        public String label() {
            return label;
        }
    }
}

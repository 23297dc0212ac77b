package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasm_byte_vec_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A compiled WebAssembly component. Immutable and thread-safe; instantiate it through a
 * {@link Linker} (or, cheaper when repeated, an {@link InstancePre}).
 *
 * <p>It owns native compiled code: whoever compiled or loaded it closes it, after the
 * {@link InstancePre}s and instances made from it are done and before the engine.
 */
public final class Component implements AutoCloseable {
    private final Engine engine;
    private final MemorySegment handle;
    private final List<ExportedFunction> exports;
    private final List<ComponentImport> imports;
    /** Export indices by qualified name, resolved once; owned here, freed on close. */
    private final Map<String, MemorySegment> exportIndices = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private Component(Engine engine, MemorySegment handle) {
        this.engine = engine;
        this.handle = handle;
        TypeReader.Description description;
        try {
            description = TypeReader.describe(handle);
        } catch (RuntimeException e) {
            wasmtime_component_delete(handle); // not yet owned by anyone else
            throw e;
        }
        this.exports = List.copyOf(description.exports());
        this.imports = List.copyOf(description.imports());
    }

    static Component compile(Engine engine, byte[] bytes) {
        if (bytes.length == 0) {
            throw new WasmtimeException("cannot compile component: input is empty");
        }
        MemorySegment engineHandle = engine.handle(); // a closed engine says so before the input is judged
        String problem = WasmInput.problem(bytes);
        if (problem != null) {
            throw new WasmtimeException(problem);
        }
        boolean binary = bytes[0] == 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Errors.check(wasmtime_component_new(engineHandle, buf, bytes.length, out),
                    binary ? "invalid WebAssembly component" : "cannot compile component text");
            return new Component(engine, out.get(ValueLayout.ADDRESS, 0));
        }
    }

    static Component deserialize(Engine engine, byte[] bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Errors.check(wasmtime_component_deserialize(engine.handle(), buf, bytes.length, out),
                    "cannot load precompiled component");
            return new Component(engine, out.get(ValueLayout.ADDRESS, 0));
        }
    }

    static Component deserializeFile(Engine engine, java.nio.file.Path file) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Errors.check(wasmtime_component_deserialize_file(engine.handle(), arena.allocateFrom(file.toString()), out),
                    "cannot load precompiled component " + file);
            return new Component(engine, out.get(ValueLayout.ADDRESS, 0));
        }
    }

    /**
     * Precompiled native code, loadable with {@link Engine#deserialize} on a compatible engine.
     *
     * @return a copy of the precompiled form
     * @throws WasmtimeException if Wasmtime cannot serialize the component
     */
    public byte[] serialize() {
        return withSerialized(buffer -> {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        });
    }

    /**
     * What {@link #withSerialized} hands the precompiled form to.
     *
     * @param <T> the result type
     */
    @FunctionalInterface
    public interface SerializedUse<T> {
        /**
         * Uses the precompiled form.
         *
         * @param serialized a read-only buffer over native memory, valid only during this call
         * @return what {@link #withSerialized} returns
         * @throws java.io.IOException if writing it fails; rethrown as {@link java.io.UncheckedIOException}
         */
        T apply(java.nio.ByteBuffer serialized) throws java.io.IOException;
    }

    /**
     * Hands the precompiled form to {@code use} as a read-only buffer over native memory, valid only
     * during the call: written to a file from there it never passes through the Java heap (a
     * JavaScript component's is tens of MB, which the old generation would keep until a full GC).
     *
     * @param <T> the result type
     * @param use what to do with the buffer
     * @return what {@code use} returns
     * @throws java.io.UncheckedIOException if {@code use} throws an {@link java.io.IOException}
     * @throws WasmtimeException if Wasmtime cannot serialize the component
     */
    public <T> T withSerialized(SerializedUse<T> use) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = wasm_byte_vec_t.allocate(arena);
            Errors.check(wasmtime_component_serialize(handle(), vec), "cannot serialize component");
            try {
                long size = wasm_byte_vec_t.size(vec);
                return use.apply(wasm_byte_vec_t.data(vec).reinterpret(size).asByteBuffer().asReadOnlyBuffer());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                wasm_byte_vec_delete(vec);
            }
        }
    }

    /**
     * The engine the component was compiled with.
     *
     * @return the engine
     */
    public Engine engine() {
        return engine;
    }

    /**
     * Exported functions: at world level and inside exported interfaces.
     *
     * @return the exports
     */
    public List<ExportedFunction> exports() {
        return exports;
    }

    /**
     * What the component imports: interfaces, functions, types..., as its binary names them.
     *
     * @return the imports
     */
    public List<ComponentImport> imports() {
        return imports;
    }

    /**
     * Finds an export by {@code name} or {@code interface#name}.
     *
     * @param qualifiedName the function's qualified name
     * @return the function, or null if the component exports none of that name
     */
    public ExportedFunction export(String qualifiedName) {
        for (ExportedFunction f : exports) {
            if (f.qualifiedName().equals(qualifiedName)) {
                return f;
            }
        }
        return null;
    }

    /** The component's export index of a function, resolved once and cached. */
    MemorySegment exportIndex(ExportedFunction function) {
        return exportIndices.computeIfAbsent(function.qualifiedName(), k -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment parent = MemorySegment.NULL;
                if (function.interfaceName() != null) {
                    parent = lookup(arena, MemorySegment.NULL, function.interfaceName());
                }
                MemorySegment index = lookup(arena, parent, function.name());
                if (!parent.equals(MemorySegment.NULL)) {
                    wasmtime_component_export_index_delete(parent);
                }
                return index;
            }
        });
    }

    private MemorySegment lookup(Arena arena, MemorySegment parent, String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        MemorySegment index = wasmtime_component_get_export_index(handle(), parent,
                arena.allocateFrom(ValueLayout.JAVA_BYTE, utf8), utf8.length);
        if (index.equals(MemorySegment.NULL)) {
            throw new WasmtimeException("component has no export named " + name);
        }
        return index;
    }

    MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("component is closed");
        }
        return handle;
    }

    /** Frees the compiled code. Idempotent and thread-safe. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        exportIndices.values().forEach(dev.wassette.ffi.Wasmtime::wasmtime_component_export_index_delete);
        exportIndices.clear();
        wasmtime_component_delete(handle);
    }
}

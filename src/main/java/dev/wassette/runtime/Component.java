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
        this.exports = List.copyOf(TypeReader.exports(handle, engine.handle()));
        this.imports = List.copyOf(TypeReader.imports(handle, engine.handle()));
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

    /** Precompiled native code, loadable with {@link Engine#deserialize} on a compatible engine. */
    public byte[] serialize() {
        return withSerialized(buffer -> {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        });
    }

    /** What {@link #withSerialized} hands the precompiled form to. */
    @FunctionalInterface
    public interface SerializedUse<T> {
        T apply(java.nio.ByteBuffer serialized) throws java.io.IOException;
    }

    /**
     * Hands the precompiled form to {@code use} as a read-only buffer over native memory, valid only
     * during the call: written to a file from there it never passes through the Java heap (a
     * JavaScript component's is tens of MB, which the old generation would keep until a full GC).
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

    public Engine engine() {
        return engine;
    }

    /** Exported functions: at world level and inside exported interfaces. */
    public List<ExportedFunction> exports() {
        return exports;
    }

    /** What the component imports: interfaces, functions, types..., as its binary names them. */
    public List<ComponentImport> imports() {
        return imports;
    }

    /** Finds an export by {@code name} or {@code interface#name}. */
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

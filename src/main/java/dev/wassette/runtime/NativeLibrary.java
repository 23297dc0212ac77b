package dev.wassette.runtime;

import dev.wassette.ffi.Wasmtime;
import java.io.File;
import java.io.IOException;
import org.bytedeco.javacpp.Loader;

/**
 * Loads {@code libwassette_wasmtime} (Wasmtime's C API plus our extensions) once per JVM. The
 * library is packaged in the jar per platform under {@code /dev/wassette/native/<platform>/}; javacpp's
 * {@link Loader} extracts it to its cache, and {@link System#load} makes its symbols visible to the
 * generated bindings.
 */
public final class NativeLibrary {
    /** The Wasmtime version the bindings in {@code dev.wassette.ffi} were generated against. */
    public static final String WASMTIME_VERSION = "50.0.1";

    private static final String LIBRARY = "libwassette_wasmtime.so";
    private static volatile String loadedVersion;

    private NativeLibrary() {}

    /** Loads the library if it is not loaded yet; throws {@link WasmtimeException} naming the fix. */
    public static void load() {
        if (loadedVersion != null) {
            return;
        }
        synchronized (NativeLibrary.class) {
            if (loadedVersion != null) {
                return;
            }
            String platform = Loader.getPlatform();
            String resource = "/dev/wassette/native/" + platform + "/" + LIBRARY;
            File file;
            try {
                String override = System.getProperty("wassette.native.library");
                file = override != null ? new File(override) : Loader.cacheResource(NativeLibrary.class, resource);
            } catch (IOException e) {
                throw new WasmtimeException("cannot extract native library " + resource + ": " + e.getMessage(), e);
            }
            if (file == null || !file.isFile()) {
                String what = file != null ? file.toString() : resource + " (in the jar, for platform " + platform + ")";
                throw new WasmtimeException("native library " + what + " is missing; build it with `native/build.sh`"
                        + " (or run `./wassette`, which builds what is missing)");
            }
            try {
                System.load(file.getAbsolutePath());
            } catch (UnsatisfiedLinkError e) {
                throw new WasmtimeException("cannot load native library " + file + ": " + e.getMessage()
                        + "; rebuild it with `native/build.sh`", e);
            }
            String version;
            try {
                version = Wasmtime.wassette_native_version().getString(0);
            } catch (RuntimeException | LinkageError e) {
                throw new WasmtimeException("native library " + file + " does not match these bindings ("
                        + e.getMessage() + "); rebuild it with `native/build.sh`", e);
            }
            if (!version.endsWith("wasmtime/" + WASMTIME_VERSION)) {
                throw new WasmtimeException("native library " + file + " is " + version + " but the bindings need wasmtime/"
                        + WASMTIME_VERSION + "; rebuild it with `native/build.sh`");
            }
            loadedVersion = version;
        }
    }

    /**
     * The version of the loaded library, loading it first if needed.
     *
     * @return {@code "<library version> wasmtime/<version>"}
     * @throws WasmtimeException if the library cannot be loaded
     */
    public static String version() {
        load();
        return loadedVersion;
    }
}

package dev.wassette.cli;

import dev.wassette.runtime.Engine;
import java.nio.file.Path;

/** The engine the CLI uses: epoch deadlines, fuel, and Wasmtime's compile cache under the user's cache dir. */
final class Engines {
    private Engines() {}

    static Engine create() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("wassette").resolve("wasmtime");
        return Engine.builder().cacheDirectory(cache).build();
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.wassette.Fixtures;
import dev.wassette.runtime.Val;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComponentHostTest {
    @TempDir
    Path dir;

    private ComponentHost host() {
        return new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
    }

    private static Val add(ComponentHost host) throws Exception {
        var f = host.component("types").functions().stream().filter(x -> x.name().equals("add")).findFirst().orElseThrow();
        return host.call("types", f, List.of(new Val.S32(20), new Val.S32(22)));
    }

    @Test
    void storedComponentsReloadFromPrecompiledCodeAndRecompileWhenStale() throws Exception {
        try (ComponentHost first = host()) {
            first.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
            assertEquals(new Val.S32(42), add(first));
        }
        Path cwasm = dir.resolve("components/types.cwasm");
        Path key = dir.resolve("components/types.cwasm.key");
        assertTrue(Files.size(cwasm) > 0);
        assertTrue(Files.readString(key).contains("wasmtime/50.0.1"));

        try (ComponentHost second = host()) {
            assertEquals(Map.of(), second.loadAll());
            assertEquals(new Val.S32(42), add(second));
        }
        // A corrupt artifact under a stale key is not trusted: the component is compiled again.
        Files.write(cwasm, new byte[] {1, 2, 3});
        Files.writeString(key, "stale");
        try (ComponentHost third = host()) {
            assertEquals(Map.of(), third.loadAll());
            assertEquals(new Val.S32(42), add(third));
        }
        assertTrue(Files.size(cwasm) > 3, "precompiled code was refreshed");
        // Unloading removes the component, its policy and its precompiled code.
        try (ComponentHost fourth = host()) {
            fourth.loadAll();
            assertTrue(fourth.unload("types"));
        }
        try (var files = Files.list(dir.resolve("components"))) {
            assertEquals(List.of(), files.filter(f -> !f.getFileName().toString().startsWith(".")).toList());
        }
    }

    @Test
    void precompiledCodeIsNotLeftInThePageCache() throws Exception {
        assumeFalse(Files.getFileStore(dir).type().equals("tmpfs"), "a tmpfs file lives in the page cache");
        ComponentStore store = new ComponentStore(dir.resolve("components"));
        try (var code = Fixtures.engine().compile(Files.readAllBytes(Fixtures.path("types.wasm")))) {
            store.savePrecompiled("types", "0".repeat(64), code);
        }
        // Left cached whole, a later mapping of it would make resident far more than what runs.
        try (FileChannel file = FileChannel.open(dir.resolve("components/types.cwasm"))) {
            assertFalse(file.map(FileChannel.MapMode.READ_ONLY, 0, file.size()).isLoaded());
        }
    }

    @Test
    void anInstalledComponentRunsFromItsMappedPrecompiledCode() throws Exception {
        try (ComponentHost host = host()) {
            ComponentHost.Loaded prepared = host.prepare("types", Files.readAllBytes(Fixtures.path("types.wasm")));
            ComponentHost.Loaded installed = host.install(prepared, Files.readAllBytes(Fixtures.path("types.wasm")));
            assertTrue(installed != prepared, "linked again from the stored code");
            assertTrue(host.component("types") == installed);
            assertEquals(new Val.S32(42), add(host));
            Path cwasm = dir.resolve("components/types.cwasm").toRealPath();
            assertTrue(Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(l -> l.endsWith(" " + cwasm)), "the code is mapped from " + cwasm);
        }
    }

    @Test
    void aStoredComponentRewrittenInPlaceIsLoadedFromItsNewBytesAtTheNextStart() throws Exception {
        try (ComponentHost first = host()) {
            first.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
        }
        // Other bytes in the same file (same inode, new time and size): its metadata and precompiled
        // code describe the old bytes and must not be trusted.
        Files.write(dir.resolve("components/types.wasm"), Files.readAllBytes(Fixtures.path("io.wasm")));
        try (ComponentHost restarted = host()) {
            assertEquals(Map.of(), restarted.loadAll());
            assertFalse(restarted.component("types").functions().stream().anyMatch(f -> f.name().equals("add")),
                    "the new bytes' functions, not the old ones");
        }
    }
}

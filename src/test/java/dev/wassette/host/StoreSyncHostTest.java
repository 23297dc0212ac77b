package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.runtime.Val;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tool metadata beside stored components, and following a store that other processes change. */
class StoreSyncHostTest {
    @TempDir
    Path dir;

    private ComponentHost host(Path components) {
        return new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(components).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
    }

    private static byte[] types() throws Exception {
        return Files.readAllBytes(Fixtures.path("types.wasm"));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10); // polling a condition with a deadline, not waiting for an interleaving
        }
    }

    @Test
    void metadataDescribesExactlyTheStoredBytes() throws Exception {
        Path components = dir.resolve("components");
        List<dev.wassette.runtime.ExportedFunction> functions;
        try (ComponentHost h = host(components)) {
            functions = h.load("types", types()).functions();
            assertTrue(Files.isRegularFile(components.resolve("types.tools.json")));
            // Every WIT type of the fixture (records, variants, results, lists, flags, ...) survives the round trip.
            assertEquals(functions, h.describe("types"));
        }
        try (ComponentHost restarted = host(components)) {
            assertEquals(List.of(new ComponentHost.Described("types", functions)), restarted.beginLoadingStored());
            // A call before the code is loaded loads it; the background load then finds it done.
            var add = functions.stream().filter(f -> f.name().equals("add")).findFirst().orElseThrow();
            assertNull(restarted.component("types"));
            assertEquals(new Val.S32(42), restarted.call("types", add, List.of(new Val.S32(40), new Val.S32(2))));
            assertEquals(Map.of(), restarted.loadAll());

            // Touched but unchanged: still valid (checked by hash); changed bytes: not valid.
            Path wasm = components.resolve("types.wasm");
            Files.setLastModifiedTime(wasm, FileTime.from(Instant.now().plusSeconds(5)));
            assertEquals(functions, restarted.describe("types"));
            byte[] other = types();
            other[other.length - 1] ^= 1;
            Files.write(wasm, other);
            assertNull(restarted.describe("types"));
            Files.write(wasm, types());
            Files.writeString(components.resolve("types.tools.json"), "{not json");
            assertNull(restarted.describe("types"));
            assertTrue(restarted.unload("types"));
            assertFalse(Files.exists(components.resolve("types.tools.json")));
        }
    }

    @Test
    void anotherProcessesChangesAreSeenAndOurOwnWritesAreNot() throws Exception {
        Path components = dir.resolve("not").resolve("yet").resolve("components");
        AtomicInteger fired = new AtomicInteger();
        try (ComponentHost server = host(components);
             StoreWatcher ignored = StoreWatcher.start(components, fired::incrementAndGet, Duration.ofMillis(20), Duration.ofMillis(200));
             ComponentHost shell = host(components)) {
            shell.load("types", types()); // creates the directories, then the component
            await(() -> fired.get() > 0, "the watcher to see the new directory and component");
            ComponentHost.Changes added = server.syncWithStore();
            assertEquals(List.of("types"), added.loaded().stream().map(ComponentHost.Loaded::id).toList());
            assertTrue(server.syncWithStore().isEmpty(), "nothing changed since");

            // Our own write (and a rewrite of the same bytes by another process) is not a change.
            server.load("types", types());
            shell.load("types", types());
            assertTrue(server.syncWithStore().isEmpty());

            // Replaced by another process: reloaded, with the new functions.
            int before = fired.get();
            shell.load("types", Files.readAllBytes(Fixtures.path("echo.wat")));
            await(() -> fired.get() > before, "the watcher to see the replacement");
            ComponentHost.Changes replaced = server.syncWithStore();
            assertEquals(List.of("echo"), replaced.loaded().getFirst().functions().stream().map(f -> f.name()).toList());

            int beforeRemove = fired.get();
            assertTrue(new ComponentStore(components).remove("types"));
            await(() -> fired.get() > beforeRemove, "the watcher to see the removal");
            assertEquals(List.of("types"), server.syncWithStore().removed());
            assertNull(server.component("types"));

            // The directory itself deleted and created again is still watched.
            int beforeDelete = fired.get();
            try (var files = Files.list(components)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(components);
            await(() -> fired.get() > beforeDelete, "the watcher to see the directory go");
            int beforeRecreate = fired.get();
            shell.load("echo", Files.readAllBytes(Fixtures.path("echo.wat")));
            await(() -> fired.get() > beforeRecreate, "the watcher to see the recreated directory");
            assertEquals(List.of("echo"), server.syncWithStore().loaded().stream().map(ComponentHost.Loaded::id).toList());
        }
    }
}

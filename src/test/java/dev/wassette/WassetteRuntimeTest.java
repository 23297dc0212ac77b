package dev.wassette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import dev.wassette.tools.InvalidArgumentException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding API: load, call in every form, policies in code and YAML, many threads, async, close. */
class WassetteRuntimeTest {
    private static final String TYPES = "wassette:fixtures/types@0.1.0#";
    private static final String FILES = "wassette:fixtures/files@0.1.0#";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aRuntimeWithInstanceSlotsRunsMoreCallsThanSlotsAtOnceAndAfterEachOther() throws Exception {
        try (java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
             WassetteRuntime wassette = WassetteRuntime.builder().instanceSlots(1).executor(threads).build();
             SandboxedComponent types = wassette.load(Fixtures.path("types.wasm"), Policy.builder().build())) {
            List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) { // four threads, one slot: the others wait for it
                calls.add(wassette.callAsync(types, TYPES + "add", Map.of("a", i, "b", 1)));
            }
            for (int i = 0; i < 8; i++) {
                assertEquals(i + 1, calls.get(i).get(60, TimeUnit.SECONDS).asInt());
            }
            for (int i = 0; i < 20; i++) { // slots are reused
                assertEquals(JSON.readTree("\"Hello, " + i + "!\""), types.call("greet", Map.of("name", String.valueOf(i))));
            }
        }
        try (Engine shared = Engine.builder().build()) {
            IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                    () -> WassetteRuntime.builder().engine(shared).instanceSlots(2).build());
            assertTrue(both.getMessage().contains("poolingAllocator"), both.getMessage());
        }
    }

    @Test
    void callsTakeMapsJsonAndTypedValuesAndComponentsComeFromBytesPathsAndUris() throws Exception {
        try (WassetteRuntime wassette = WassetteRuntime.builder().build();
             SandboxedComponent fromPath = wassette.load(Fixtures.path("types.wasm"), Policy.builder().build());
             SandboxedComponent fromBytes = wassette.load("echo", Files.readAllBytes(Fixtures.path("echo.wat")), Policy.builder().build());
             SandboxedComponent fromUri = wassette.load(Fixtures.path("types.wasm").toUri(), Policy.builder().build())) {
            assertEquals("types", fromPath.name());
            assertEquals(JSON.readTree("\"Hello, Ada!\""), wassette.call(fromPath, "greet", Map.of("name", "Ada")));
            assertEquals(JSON.readTree("5"), fromPath.call(TYPES + "add", JSON.readTree("{\"a\": 2, \"b\": 3}")));
            assertEquals(new Val.S32(5), wassette.call(fromPath, "wassette_fixtures_types_0_1_0_add", new Val.S32(2), new Val.S32(3)));
            assertEquals(JSON.readTree("{\"tag\":\"circle\",\"val\":1.5}"),
                    fromPath.call(TYPES + "echo-variant", Map.of("v", Map.of("tag", "circle", "val", 1.5))));
            assertTrue(fromPath.call(TYPES + "nothing", Map.of()).isMissingNode(), "no result");
            assertEquals(new Val.Str("text"), fromBytes.call("echo", new Val.Str("text")));
            assertEquals(JSON.readTree("\"Hello, URI!\""), fromUri.call("greet", Map.of("name", "URI")));

            InvalidArgumentException bad = assertThrows(InvalidArgumentException.class, () -> fromPath.call(TYPES + "echo-u8", Map.of("v", 300)));
            assertEquals("args.v: 300 is out of range for u8", bad.getMessage());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> fromPath.call("nope", Map.of()));
            assertTrue(unknown.getMessage().startsWith("exports no function \"nope\""), unknown.getMessage());
            TrapException trap = assertThrows(TrapException.class, () -> fromPath.call(TYPES + "crash"));
            assertEquals(TrapException.Kind.TRAP, trap.kind());
        }
    }

    @Test
    void policiesBuiltInCodeOrParsedGrantExactlyWhatTheySay() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("in.txt"), "inside");
        Files.writeString(dir.resolve("out.txt"), "outside");
        Policy inCode = Policy.builder().allowRead(data).allowEnvironment("GREETING").build();
        Policy parsed = Policy.parse("capabilities:\n  filesystem: { read: [\"" + data + "\"] }\n  environment: [GREETING]\n");
        assertTrue(inCode.grantsSameAs(parsed), inCode + " vs " + parsed);
        try (WassetteRuntime wassette = WassetteRuntime.builder().environment(Map.of("GREETING", "hi", "OTHER", "no")).build();
             SandboxedComponent io = wassette.load(Fixtures.path("io.wasm"), inCode)) {
            assertEquals(JSON.readTree("{\"ok\":\"inside\"}"), io.call(FILES + "read-file", Map.of("path", data.resolve("in.txt").toString())));
            assertTrue(io.call(FILES + "read-file", Map.of("path", dir.resolve("out.txt").toString())).has("err"));
            assertEquals(JSON.readTree("\"hi\""), io.call(FILES + "get-env", Map.of("key", "GREETING")));
            assertTrue(io.call(FILES + "get-env", Map.of("key", "OTHER")).isNull(), "offered but not allowed");
            // The same compiled component under a policy that grants nothing.
            SandboxedComponent bare = io.withPolicy(Policy.builder().build());
            assertTrue(bare.call(FILES + "read-file", Map.of("path", data.resolve("in.txt").toString())).has("err"));
            assertTrue(bare.call(FILES + "get-env", Map.of("key", "GREETING")).isNull());
        }
        IllegalArgumentException glob = assertThrows(IllegalArgumentException.class, () -> Policy.builder().allowHost("a.*.example"));
        assertTrue(glob.getMessage().contains("a.*.example"), glob.getMessage());
        PolicyException invalid = assertThrows(PolicyException.class, () -> Policy.parse("version: \"1.0\"\npermissions:\n  network:\n    allow: [{cidr: \"300.0.0.0/8\"}]\n"));
        assertEquals(List.of("policy:4: cidr \"300.0.0.0/8\": \"300.0.0.0\" is not an IP address"), invalid.problems());
    }

    @Test
    void manyThreadsCallOneComponentAndAsyncCallsComplete() throws Exception {
        try (WassetteRuntime wassette = WassetteRuntime.builder().build();
             SandboxedComponent types = wassette.load(Fixtures.path("types.wasm"), Policy.builder().build())) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 8; t++) {
                int base = t * 1000;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            Val sum = types.call(TYPES + "add", new Val.S32(base), new Val.S32(i));
                            if (!sum.equals(new Val.S32(base + i))) {
                                throw new AssertionError(base + " + " + i + " gave " + sum);
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(60)), "calls finished");
            }
            assertEquals(List.of(), failures);

            List<CompletableFuture<JsonNode>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                futures.add(wassette.callAsync(types, TYPES + "add", Map.of("a", i, "b", 1)));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals(i + 1, futures.get(i).get(30, TimeUnit.SECONDS).asInt());
            }
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> types.callAsync(TYPES + "crash").get(30, TimeUnit.SECONDS));
            assertInstanceOf(TrapException.class, failed.getCause());
        }
    }

    @Test
    void limitsStopGuestsAndCancellingAFutureStopsItsGuest() throws Exception {
        java.util.concurrent.ExecutorService oneThread = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (WassetteRuntime wassette = WassetteRuntime.builder().callTimeout(Duration.ofMinutes(5)).executor(oneThread).build();
             SandboxedComponent spin = wassette.load(Fixtures.path("spin.wasm"), Policy.builder().cpuMillis(1).build())) {
            // 1/1000 of a core over a 5-minute deadline: 3e8 fuel, long before the deadline.
            TrapException fuel = assertThrows(TrapException.class, () -> spin.call("spin"));
            assertEquals(TrapException.Kind.OUT_OF_FUEL, fuel.kind());
            assertEquals(1L, wassette.denials().get("cpu"));

            SandboxedComponent unlimited = spin.withPolicy(Policy.builder().build());
            CompletableFuture<Val> running = unlimited.callAsync("spin");
            Thread.sleep(100); // let it enter the guest
            assertTrue(running.cancel(true));
            assertThrows(CancellationException.class, () -> running.get(10, TimeUnit.SECONDS));
            // The guest stopped: the executor's one thread is free for the next call.
            assertEquals(new Val.U32(42), unlimited.callAsync("ok").get(10, TimeUnit.SECONDS));
        } finally {
            oneThread.shutdownNow();
        }
        try (WassetteRuntime shortCalls = WassetteRuntime.builder().callTimeout(Duration.ofMillis(200)).maxResultBytes(8).build();
             SandboxedComponent types = shortCalls.load(Fixtures.path("types.wasm"), Policy.builder().build())) {
            TrapException big = assertThrows(TrapException.class, () -> types.call(TYPES + "echo-string", new Val.Str("longer than eight bytes")));
            assertEquals(TrapException.Kind.RESULT_LIMIT, big.kind());
            assertEquals(1L, shortCalls.denials().get("result_size"));
        }
    }

    @Test
    void closingTheRuntimeCancelsCallsInFlightAndRefusesNewOnes() throws Exception {
        WassetteRuntime wassette = WassetteRuntime.builder().callTimeout(Duration.ofMinutes(10)).build();
        SandboxedComponent spin = wassette.load(Fixtures.path("spin.wasm"), Policy.builder().build());
        CompletableFuture<Val> running = spin.callAsync("spin");
        Thread.sleep(100);
        long start = System.nanoTime();
        wassette.close();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "close did not wait for the 10-minute deadline");
        ExecutionException stopped = assertThrows(ExecutionException.class, () -> running.get(10, TimeUnit.SECONDS));
        TrapException cancelled = assertInstanceOf(TrapException.class, stopped.getCause());
        assertEquals(TrapException.Kind.CANCELLED, cancelled.kind());
        assertThrows(IllegalStateException.class, () -> spin.call("ok"));
        assertThrows(IllegalStateException.class, () -> wassette.load(Fixtures.path("spin.wasm"), Policy.builder().build()));
        wassette.close(); // idempotent
    }

    @Test
    void anEngineThatWouldDropLimitsIsRefused() {
        try (Engine noFuel = Engine.builder().consumeFuel(false).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WassetteRuntime.builder().engine(noFuel).build());
            assertTrue(e.getMessage().contains("fuel metering (CPU limits)"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> WassetteRuntime.builder().callTimeout(Duration.ZERO).build());
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sixteen clients call the tools of five components over streamable HTTP while another client
 * loads and unloads one of them and grants and revokes another's storage, all at once. Not timed:
 * it asserts that every answer is right for what was in force (the file is read with its content or
 * refused, never anything else; a tool being unloaded answers or is unknown, never a wrong value or
 * a server error), that nothing deadlocks (every client finishes within a bound), that no native
 * handle is used after it was freed (which would crash the JVM), and that the server serves on.
 */
class ConcurrencyStressTest {
    private static final int CLIENTS = 16;
    private static final int CALLS_PER_CLIENT = 60;
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";
    private static final String READ = "wassette_fixtures_files_0_1_0_read-file";

    @TempDir
    Path dir;

    @Test
    void manyClientsCallWhileComponentsAndGrantsChangeAndEveryAnswerIsRight() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("notes.txt"), "stress");
        String grant = "fs://" + data + "/**";
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(30)).maxResultBytes(1 << 20).build());
             HttpMcpServer server = HttpMcpServer.start(host, true, "127.0.0.1:0", List.of("127.0.0.1"))) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            try (McpSyncClient admin = client(base)) {
                for (String fixture : List.of("types.wasm", "io.wasm", "host-log.wasm", "echo.wat", "spin.wasm")) {
                    McpSchema.CallToolResult loaded = admin.callTool(new McpSchema.CallToolRequest("load-component",
                            Map.of("path", Fixtures.path(fixture).toUri().toString())));
                    assertFalse(loaded.isError(), () -> fixture + ": " + loaded);
                }

                Queue<String> wrong = new ConcurrentLinkedQueue<>();
                AtomicInteger reads = new AtomicInteger();
                AtomicInteger refusedReads = new AtomicInteger();
                AtomicInteger churnedAnswers = new AtomicInteger();
                AtomicInteger churnedUnknown = new AtomicInteger();
                AtomicBoolean done = new AtomicBoolean();
                CountDownLatch finished = new CountDownLatch(CLIENTS);
                for (int c = 0; c < CLIENTS; c++) {
                    int clientNumber = c;
                    Thread.ofPlatform().name("stress-client-" + c).daemon().start(() -> {
                        try (McpSyncClient client = client(base)) {
                            for (int i = 0; i < CALLS_PER_CLIENT; i++) {
                                String check = callOne(client, (clientNumber + i) % 5, clientNumber * 1000 + i, data,
                                        reads, refusedReads, churnedAnswers, churnedUnknown);
                                if (check != null) {
                                    wrong.add(check);
                                }
                            }
                        } catch (RuntimeException e) {
                            wrong.add("client " + clientNumber + " failed: " + e);
                        } finally {
                            finished.countDown();
                        }
                    });
                }
                // Meanwhile: unload and load spin again, grant and revoke io's storage, until the clients are done.
                int changes = 0;
                while (finished.getCount() > 0) {
                    boolean unloadNow = changes % 2 == 0;
                    McpSchema.CallToolResult churn = admin.callTool(unloadNow
                            ? new McpSchema.CallToolRequest("unload-component", Map.of("id", "spin"))
                            : new McpSchema.CallToolRequest("load-component", Map.of("path", Fixtures.path("spin.wasm").toUri().toString())));
                    assertFalse(churn.isError(), churn::toString);
                    McpSchema.CallToolResult edit = admin.callTool(new McpSchema.CallToolRequest(
                            unloadNow ? "grant-storage-permission" : "revoke-storage-permission",
                            Map.of("component_id", "io", "details", Map.of("uri", grant, "access", List.of("read")))));
                    assertFalse(edit.isError(), edit::toString);
                    changes++;
                }
                done.set(true);
                assertTrue(finished.await(5, TimeUnit.MINUTES), "every client finished: no deadlock");
                assertEquals(List.of(), List.copyOf(wrong));
                assertTrue(changes >= 2, "the components and grants changed while the clients called: " + changes);
                assertTrue(reads.get() + refusedReads.get() > 0 && churnedAnswers.get() + churnedUnknown.get() > 0);

                // The server serves on, with nothing left in flight.
                assertEquals(Map.of("result", 5), admin.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 2, "b", 3))).structuredContent());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (server.calls().size() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(0, server.calls().size(), "no call left in flight");
            }
        }
    }

    /** One call of tool {@code which}; null when its answer is right, else what was wrong. */
    private static String callOne(McpSyncClient client, int which, int n, Path data, AtomicInteger reads, AtomicInteger refusedReads,
                                  AtomicInteger churnedAnswers, AtomicInteger churnedUnknown) {
        switch (which) {
            case 0 -> {
                Object sum = client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", n, "b", 1))).structuredContent();
                return Map.of("result", n + 1).equals(sum) ? null : "add(" + n + ", 1) = " + sum;
            }
            case 1 -> {
                McpSchema.CallToolResult read = client.callTool(new McpSchema.CallToolRequest(READ, Map.of("path", data.resolve("notes.txt").toString())));
                Object result = read.structuredContent() instanceof Map<?, ?> m ? m.get("result") : null;
                if (result instanceof Map<?, ?> r && "stress".equals(r.get("ok"))) {
                    reads.incrementAndGet();
                    return null;
                }
                if (result instanceof Map<?, ?> r && r.get("err") instanceof String) {
                    refusedReads.incrementAndGet(); // the grant was not in force when the call began
                    return null;
                }
                return "read-file: " + read;
            }
            case 2 -> {
                McpSchema.CallToolResult run = client.callTool(new McpSchema.CallToolRequest("run", Map.of("name", "client" + n)));
                String text = ((McpSchema.TextContent) run.content().getFirst()).text();
                return !run.isError() && text.contains("client" + n + "!") ? null : "run: " + run;
            }
            case 3 -> {
                String word = "echo-" + n + "-✓";
                McpSchema.CallToolResult echo = client.callTool(new McpSchema.CallToolRequest("echo", Map.of("s", word)));
                return !echo.isError() && word.equals(((McpSchema.TextContent) echo.content().getFirst()).text()) ? null : "echo: " + echo;
            }
            default -> {
                try {
                    McpSchema.CallToolResult ok = client.callTool(new McpSchema.CallToolRequest("ok", Map.of()));
                    if (!ok.isError() && Map.of("result", 42).equals(ok.structuredContent())) {
                        churnedAnswers.incrementAndGet();
                        return null;
                    }
                    String text = ok.content().isEmpty() ? "" : ((McpSchema.TextContent) ok.content().getFirst()).text();
                    if (ok.isError() && (text.contains("unloaded") || text.contains("no component"))) {
                        churnedUnknown.incrementAndGet(); // unloaded while the call was on its way
                        return null;
                    }
                    return "ok: " + ok;
                } catch (McpError e) {
                    if (e.getMessage().contains("Unknown tool")) {
                        churnedUnknown.incrementAndGet();
                        return null;
                    }
                    return "ok: " + e;
                }
            }
        }
    }

    private static McpSyncClient client(String base) {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").build())
                .requestTimeout(Duration.ofSeconds(120)).build();
        client.initialize();
        return client;
    }
}

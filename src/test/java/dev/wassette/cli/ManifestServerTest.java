package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wassette run --manifest}: a server provisioned at start-up, spoken to over stdio by the
 * Java MCP SDK's client (which starts it as MCP clients do), or failing to start with the entry named.
 */
class ManifestServerTest {
    private static final String FILES = "wassette_fixtures_files_0_1_0_";

    @TempDir
    Path dir;
    private String ioDigest;

    @BeforeEach
    void components() throws Exception {
        Files.copy(Fixtures.path("io.wasm"), dir.resolve("io.wasm"));
        Files.copy(Fixtures.path("types.wasm"), dir.resolve("types.wasm"));
        ioDigest = dev.wassette.host.ComponentSources.fetch("io.wasm", dir, null).digest();
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/notes.txt"), "provisioned read");
        Files.createDirectories(dir.resolve("private"));
        Files.writeString(dir.resolve("private/key.txt"), "SECRET");
    }

    private List<String> command(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli", "run",
                "--component-dir", dir.resolve("components").toString(), "--secrets-dir", dir.resolve("secrets").toString()));
        command.addAll(List.of(args));
        return command;
    }

    private Path manifest(String yaml) throws Exception {
        return Files.writeString(dir.resolve("manifest.yaml"), yaml);
    }

    /** A session of the SDK's stdio client with the server that {@code args} start; its stderr lines go to {@code stderr}. */
    private McpSyncClient client(List<String> stderr, String... args) {
        List<String> command = command(args);
        StdioClientTransport transport = new StdioClientTransport(ServerParameters.builder(command.getFirst())
                .args(command.subList(1, command.size())).build(), new JacksonMcpJsonMapper(new ObjectMapper()));
        transport.setStdErrorHandler(stderr::add);
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build();
        client.initialize();
        return client;
    }

    /** Waits (bounded) for the client's reader of the server's stderr to have seen {@code line}. */
    private static void awaitLine(List<String> lines, String line) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!lines.contains(line)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no stderr line " + line + " in:\n" + String.join("\n", lines));
            }
            Thread.sleep(20);
        }
    }

    private static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().getFirst()).text();
    }

    @Test
    void aProvisionedReadOnlyServerServesExactlyTheManifest() throws Exception {
        // A component already in the store is not served by a server pinned to its manifest.
        CliTest.Run stored = CliTest.run("component", "load", Fixtures.path("spin.wasm").toString(),
                "--component-dir", dir.resolve("components").toString());
        assertEquals(0, stored.code(), stored.err());
        Path manifest = manifest("""
                components:
                  - uri: ./io.wasm
                    digest: %s
                    permissions:
                      capabilities:
                        filesystem: { read: ["%s"] }
                  - uri: %s
                    name: calc
                """.formatted(ioDigest, dir.resolve("data"), dir.resolve("types.wasm").toUri()));
        List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        try (McpSyncClient client = client(stderr, "--manifest", manifest.toString(), "--disable-builtin-tools")) {
            List<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
            assertTrue(tools.contains(FILES + "read-file") && tools.contains("wassette_fixtures_types_0_1_0_add"), tools.toString());
            assertFalse(tools.contains("load-component") || tools.contains("apply-declared-permissions"), "no built-in tools: " + tools);
            assertFalse(tools.stream().anyMatch(t -> t.equals("spin")), "only the manifest's components: " + tools);

            McpSchema.CallToolResult read = client.callTool(new McpSchema.CallToolRequest(FILES + "read-file",
                    Map.of("path", dir.resolve("data/notes.txt").toString())));
            assertEquals(Map.of("result", Map.of("ok", "provisioned read")), read.structuredContent(), read.toString());
            McpSchema.CallToolResult denied = client.callTool(new McpSchema.CallToolRequest(FILES + "read-file",
                    Map.of("path", dir.resolve("private/key.txt").toString())));
            assertFalse(denied.structuredContent().toString().contains("SECRET"), denied.toString());
            assertTrue(((Map<?, ?>) ((Map<?, ?>) denied.structuredContent()).get("result")).containsKey("err"), denied.toString());
            McpSchema.CallToolResult add = client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_add", Map.of("a", 40, "b", 2)));
            assertEquals(Map.of("result", 42), add.structuredContent());

            McpError refused = assertThrows(McpError.class, () -> client.callTool(new McpSchema.CallToolRequest("load-component",
                    Map.of("path", Fixtures.path("types.wasm").toUri().toString()))));
            assertEquals("Unknown tool: load-component", refused.getMessage());
            McpError noGrant = assertThrows(McpError.class, () -> client.callTool(new McpSchema.CallToolRequest("grant-storage-permission",
                    Map.of("component_id", "io", "details", Map.of("uri", "fs:///**", "access", List.of("read"))))));
            assertEquals("Unknown tool: grant-storage-permission", noGrant.getMessage());
            assertEquals(tools, client.listTools().tools().stream().map(McpSchema.Tool::name).toList(), "the tools did not change");
        }
        assertEquals(List.of("calc", "io", "spin"), new dev.wassette.host.ComponentStore(dir.resolve("components")).ids());
    }

    @Test
    void aDigestMismatchIsAStartUpErrorNamingTheEntry() throws Exception {
        String wrong = "sha256:" + "e".repeat(64);
        Path manifest = manifest("""
                components:
                  - uri: types.wasm
                  - uri: io.wasm
                    name: files
                    digest: %s
                """.formatted(wrong));
        Process server = new ProcessBuilder(command("--manifest", manifest.toString(), "--disable-builtin-tools"))
                .redirectError(dir.resolve("stderr.log").toFile()).start();
        server.getOutputStream().close();
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server exits instead of serving");
        String stdout = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = Files.readString(dir.resolve("stderr.log"));
        assertEquals(3, server.exitValue(), stderr);
        assertEquals("", stdout, "stdout carries only JSON-RPC, and there was none");
        assertTrue(stderr.contains("error: " + manifest + ":3: component \"files\" (entry 2, io.wasm): digest mismatch: " + dir.resolve("io.wasm")
                + " is " + ioDigest + ", not the " + wrong + " expected"), stderr);
        assertTrue(stderr.contains("error: the server did not start: the provisioning manifest " + manifest
                + " has entries that cannot be loaded (--continue-on-provisioning-failure starts without them)"), stderr);
        assertFalse(Files.exists(dir.resolve("components/types.wasm")), "the entry that passed was not stored");

        Path invalid = manifest("components:\n  - {uri: io.wasm, digest: sha256:0}\n");
        Process second = new ProcessBuilder(command("--manifest", invalid.toString())).redirectError(dir.resolve("stderr2.log").toFile()).start();
        second.getOutputStream().close();
        assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        assertEquals(3, second.exitValue());
        assertTrue(Files.readString(dir.resolve("stderr2.log")).contains("error: " + invalid + ":2: component \"io\" (entry 1, io.wasm): digest \"sha256:0\""
                + " is not sha256: followed by 64 lower-case hex digits"), Files.readString(dir.resolve("stderr2.log")));
    }

    @Test
    void continuingOnProvisioningFailureServesTheOthersAndSaysWhichFailed() throws Exception {
        Path manifest = manifest("""
                components:
                  - uri: missing.wasm
                  - uri: types.wasm
                """);
        List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        try (McpSyncClient client = client(stderr, "--manifest", manifest.toString(), "--continue-on-provisioning-failure")) {
            List<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
            assertTrue(tools.contains("wassette_fixtures_types_0_1_0_add"), tools.toString());
            assertTrue(tools.contains("load-component"), "built-in tools stay without --disable-builtin-tools: " + tools);
            McpSchema.CallToolResult add = client.callTool(new McpSchema.CallToolRequest("wassette_fixtures_types_0_1_0_add", Map.of("a", 1, "b", 2)));
            assertEquals(Map.of("result", 3), add.structuredContent());
            String expected = "warning: " + manifest + ":2: component \"missing\" (entry 1, missing.wasm): no such file: " + dir.resolve("missing.wasm")
                    + "; not loaded (--continue-on-provisioning-failure)";
            awaitLine(stderr, expected);
            McpSchema.CallToolResult policy = client.callTool(new McpSchema.CallToolRequest("get-policy", Map.of("component_id", "types")));
            assertFalse(policy.isError(), text(policy));
        }
    }
}

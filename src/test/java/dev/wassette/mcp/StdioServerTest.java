package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `wassette run` as a child process, spoken to in raw JSON-RPC lines: bad input is answered, never fatal. */
class StdioServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private Process server;
    private OutputStream toServer;
    private BufferedReader fromServer;
    private final List<String> stdout = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        server = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.wassette.cli.WassetteCli", "run", "--component-dir", dir.resolve("components").toString(),
                "--secrets-dir", dir.resolve("secrets").toString())
                .redirectError(dir.resolve("stderr.log").toFile()).start();
        toServer = server.getOutputStream();
        fromServer = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws Exception {
        server.destroy();
        server.waitFor(10, TimeUnit.SECONDS);
    }

    private void send(String line) throws IOException {
        toServer.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        toServer.flush();
    }

    /** Reads lines until the response with {@code id}; every line on stdout must be JSON-RPC. */
    private JsonNode response(Object id) throws IOException {
        String want = JSON.valueToTree(id).toString();
        while (true) {
            String line = fromServer.readLine();
            if (line == null) {
                throw new AssertionError("server closed stdout; stdout so far: " + stdout);
            }
            stdout.add(line);
            JsonNode message = JSON.readTree(line); // throws if stdout carries anything but JSON
            assertEquals("2.0", message.path("jsonrpc").asText(), line);
            if (message.has("id") && message.get("id").toString().equals(want)) {
                return message;
            }
        }
    }

    @Test
    void malformedAndUnknownInputGetsJsonRpcErrorsAndTheServerKeepsServing() throws Exception {
        send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        assertEquals("wassette-java", response(1).path("result").path("serverInfo").path("name").asText());
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

        send("this is not json {");
        assertEquals(-32700, response(null).path("error").path("code").asInt());
        send("{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"tools/list\"}");
        assertEquals(-32600, response(2).path("error").path("code").asInt());
        send("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"no/such/method\"}");
        assertEquals(-32601, response(3).path("error").path("code").asInt());
        send("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"no-such-tool\",\"arguments\":{}}}");
        assertEquals("Unknown tool: no-such-tool", response(4).path("error").path("message").asText());
        send("{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"tools/call\",\"params\":\"x\"}");
        assertEquals(-32602, response(41).path("error").path("code").asInt());
        // Found by JsonRpcFuzzTest (over HTTP, a 500 from the SDK): an initialize without its params.
        send("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"initialize\"}");
        JsonNode bareInitialize = response(42);
        assertEquals(-32602, bareInitialize.path("error").path("code").asInt(), bareInitialize.toString());
        assertTrue(bareInitialize.path("error").path("message").asText().contains("initialize needs params.protocolVersion"), bareInitialize.toString());
        send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":{\"s\":\"" + "a".repeat(5 << 20) + "\"}}}");
        JsonNode big = response(null);
        assertEquals(-32600, big.path("error").path("code").asInt());
        assertTrue(big.path("error").path("message").asText().contains("exceeds the limit"));

        send("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"load-component\",\"arguments\":{\"path\":\""
                + Fixtures.path("types.wasm").toUri() + "\"}}}");
        JsonNode loaded = response(6);
        assertTrue(loaded.path("result").path("structuredContent").path("tools").toString().contains("wassette_fixtures_types_0_1_0_add"), loaded.toString());
        // The notification is written before the result of the call that changed the list.
        assertTrue(stdout.subList(0, stdout.size() - 1).stream().anyMatch(l -> l.contains("notifications/tools/list_changed")), stdout.toString());

        send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"wassette_fixtures_types_0_1_0_add\",\"arguments\":{\"a\":40,\"b\":2}}}");
        JsonNode add = response(7).path("result");
        assertEquals(42, add.path("structuredContent").path("result").asInt());
        assertEquals("42", add.path("content").get(0).path("text").asText());

        send("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"wassette_fixtures_types_0_1_0_crash\",\"arguments\":{}}}");
        JsonNode crash = response(8).path("result");
        assertTrue(crash.path("isError").asBoolean());
        assertTrue(crash.path("content").get(0).path("text").asText().contains("unreachable"));

        send("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"wassette_fixtures_types_0_1_0_echo-u8\",\"arguments\":{\"v\":256}}}");
        JsonNode bad = response(9).path("result");
        assertTrue(bad.path("isError").asBoolean());
        assertEquals("invalid arguments: args.v: 256 is out of range for u8", bad.path("content").get(0).path("text").asText());

        send("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{\"name\":\"greet\",\"arguments\":{\"name\":\"after all that\"}}}");
        assertEquals("Hello, after all that!", response(10).path("result").path("content").get(0).path("text").asText());

        toServer.close(); // EOF: the server finishes and exits
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server exits when stdin closes");
        assertEquals(0, server.exitValue());
    }

    /**
     * Messages are handled on the thread that reads them; one that takes long hands the reading to
     * another thread, so a ping and a cancellation are answered while a guest spins (its deadline is
     * 30 s: only the cancellation ends it within the test), and calls run side by side.
     */
    @Test
    void aSpinningCallHoldsUpNothingElseAndIsCancelledOverStdio() throws Exception {
        send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        response(1);
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        assertTrue(load(2, Fixtures.path("spin.wasm")).path("content").toString().contains("loaded successfully"));

        send("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"spin\",\"arguments\":{}}}");
        send("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"spin\",\"arguments\":{}}}");
        send("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}");
        assertTrue(response(5).has("result"));
        send("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"ok\",\"arguments\":{}}}");
        assertEquals(42, response(6).path("result").path("structuredContent").path("result").asInt());
        assertTrue(stdout.stream().noneMatch(l -> l.contains("\"id\":3") || l.contains("\"id\":4")), "both guests still spin: " + stdout);

        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":4,\"reason\":\"stop four\"}}");
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3,\"reason\":\"stop three\"}}");
        // A cancelled request gets no answer (the MCP rule): ask again after it, in order.
        send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"ok\",\"arguments\":{}}}");
        assertEquals(42, response(7).path("result").path("structuredContent").path("result").asInt());
        toServer.close();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server exits when stdin closes: the cancelled guests stopped");
        assertEquals(0, server.exitValue());
        assertTrue(stdout.stream().noneMatch(l -> l.contains("\"id\":3") || l.contains("\"id\":4")), "no answer to a cancelled call: " + stdout);
    }

    private JsonNode load(int id, Path file) throws IOException {
        send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"load-component\",\"arguments\":{\"path\":\""
                + file.toUri() + "\"}}}");
        return response(id).path("result");
    }

    @Test
    void loadComponentSaysWhatIsWrongWithTheFileAndListsImports() throws Exception {
        send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        response(1);
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

        Path yaml = java.nio.file.Files.writeString(dir.resolve("policy.yaml"), "version: \"1.0\"\n");
        JsonNode notWasm = load(2, yaml);
        assertTrue(notWasm.path("isError").asBoolean(), notWasm.toString());
        assertEquals("cannot load " + yaml + ": not a WebAssembly component: no wasm magic number (\\0asm) at its start, "
                + "and not component text (which starts with \"(component\")", notWasm.path("content").get(0).path("text").asText());

        Path imports = Fixtures.path("imports.wat");
        JsonNode missing = load(3, imports);
        assertTrue(missing.path("isError").asBoolean(), missing.toString());
        assertEquals("cannot load " + imports + ": cannot link component: the component imports what this server does not provide: "
                + "wasi:config/store@0.2.0-draft (interface), acme:missing/thing@1.0.0 (interface), frob (function)",
                missing.path("content").get(0).path("text").asText());

        JsonNode io = load(4, Fixtures.path("io.wasm"));
        assertTrue(!io.path("isError").asBoolean(), io.toString());
        JsonNode list = io.path("structuredContent").path("imports");
        assertTrue(list.size() > 3, io.toString());
        boolean gated = false;
        for (JsonNode i : list) {
            assertTrue(i.path("status").asText().startsWith("provided"), i.toString());
            gated |= i.path("name").asText().startsWith("wasi:filesystem/preopens@")
                    && i.path("status").asText().equals("provided, policy-gated (storage)");
        }
        assertTrue(gated, list.toString());
    }

    private JsonNode tool(int id, String name, String arguments) throws IOException {
        send("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + name + "\",\"arguments\":" + arguments + "}}");
        return response(id).path("result");
    }

    @Test
    void declaredPermissionsAreShownAndInForceOnlyOnceApplied() throws Exception {
        send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}");
        response(1);
        send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        Path data = java.nio.file.Files.createDirectories(dir.resolve("data"));
        java.nio.file.Files.writeString(data.resolve("notes.txt"), "declared and granted");
        Path pkg = java.nio.file.Files.createDirectories(dir.resolve("pkg"));
        Path wasm = java.nio.file.Files.copy(Fixtures.path("io.wasm"), pkg.resolve("io.wasm"));
        java.nio.file.Files.writeString(pkg.resolve("io.policy.yaml"), "capabilities:\n  filesystem: { read: [\"" + data + "\"] }\n  network: none\n");

        JsonNode loaded = load(2, wasm).path("structuredContent");
        JsonNode declared = loaded.path("declared_permissions");
        String digest = declared.path("digest").asText();
        assertTrue(digest.matches("sha256:[0-9a-f]{64}"), loaded.toString());
        assertEquals(false, declared.path("applied").asBoolean(true), loaded.toString());
        assertEquals("fs://" + data + "/**", declared.path("policy").path("permissions").path("storage").path("allow").get(0).path("uri").asText(), loaded.toString());
        assertTrue(declared.path("note").asText().contains("not granted"), loaded.toString());

        String readFile = "wassette_fixtures_files_0_1_0_read-file";
        String args = "{\"path\":\"" + data.resolve("notes.txt") + "\"}";
        JsonNode denied = tool(3, readFile, args);
        assertTrue(denied.path("structuredContent").path("result").has("err"), "not in force before it is applied: " + denied);

        JsonNode policy = tool(4, "get-policy", "{\"component_id\":\"io\"}").path("structuredContent");
        assertTrue(policy.path("policy").path("permissions").isEmpty(), "nothing granted: " + policy);
        assertEquals(digest, policy.path("declared_permissions").path("digest").asText(), policy.toString());

        JsonNode stale = tool(5, "apply-declared-permissions", "{\"component_id\":\"io\",\"digest\":\"sha256:" + "1".repeat(64) + "\"}");
        assertTrue(stale.path("isError").asBoolean(), stale.toString());
        assertEquals("the declared policy of io is " + digest + ", not sha256:" + "1".repeat(64)
                + " that was consented to (the component was loaded again since); review it again", stale.path("content").get(0).path("text").asText());
        assertTrue(tool(6, readFile, args).path("structuredContent").path("result").has("err"), "still denied");

        JsonNode applied = tool(7, "apply-declared-permissions", "{\"component_id\":\"io\",\"digest\":\"" + digest + "\"}");
        assertFalse(applied.path("isError").asBoolean(), applied.toString());
        assertEquals("fs://" + data + "/**", applied.path("structuredContent").path("policy").path("permissions").path("storage").path("allow").get(0)
                .path("uri").asText(), applied.toString());
        assertTrue(applied.path("structuredContent").path("declared_permissions").path("applied").asBoolean(), applied.toString());
        assertEquals("declared and granted", tool(8, readFile, args).path("structuredContent").path("result").path("ok").asText());

        JsonNode none = tool(9, "apply-declared-permissions", "{\"component_id\":\"types\"}");
        assertEquals("no component with id \"types\"", none.path("content").get(0).path("text").asText(), none.toString());
    }
}

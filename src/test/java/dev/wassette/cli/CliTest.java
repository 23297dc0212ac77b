package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line, run in-process: results on stdout, messages on stderr, meaningful exit codes. */
class CliTest {
    record Run(int code, String out, String err) {}

    @TempDir
    Path tmp;

    static Run run(String... args) {
        CommandLine cl = WassetteCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private static String types() {
        return Fixtures.path("types.wasm").toString();
    }

    @Test
    void versionNamesOursAndWasmtime() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("wassette-java"), r.out());
        assertTrue(r.out().contains("wasmtime 50.0.1"), r.out());
    }

    @Test
    void inspectListsSignatures() {
        Run r = run("inspect", types());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("greet: func(name: string) -> string"), r.out());
        assertTrue(r.out().contains("interface wassette:fixtures/types@0.1.0:"), r.out());
        assertTrue(r.out().contains("  add: func(a: s32, b: s32) -> s32"), r.out());
    }

    @Test
    void callPrintsJsonResults() {
        Run add = run("call", types(), "wassette:fixtures/types@0.1.0#add", "--args", "{\"a\":2,\"b\":3}");
        assertEquals(new Run(0, "5\n", ""), add);
        Run greet = run("call", types(), "greet", "--args", "{\"name\":\"CLI\"}");
        assertEquals("\"Hello, CLI!\"\n", greet.out());
        Run record = run("call", types(), "wassette:fixtures/types@0.1.0#echo-variant", "--args", "{\"v\":{\"tag\":\"circle\",\"val\":1.5}}");
        assertEquals("{\"tag\":\"circle\",\"val\":1.5}\n", record.out());
        Run nothing = run("call", types(), "wassette:fixtures/types@0.1.0#nothing");
        assertEquals(new Run(0, "", ""), nothing);
        Run wat = run("call", Fixtures.path("echo.wat").toString(), "echo", "--args", "{\"s\":\"text format\"}");
        assertEquals("\"text format\"\n", wat.out());
    }

    @Test
    void failuresGoToStderrWithExitCodes() throws Exception {
        Run bad = run("call", types(), "wassette:fixtures/types@0.1.0#echo-u8", "--args", "{\"v\":300}");
        assertEquals(3, bad.code());
        assertEquals("", bad.out());
        assertEquals("error: invalid arguments: args.v: 300 is out of range for u8\n", bad.err());
        Run notJson = run("call", types(), "greet", "--args", "{name:");
        assertEquals(3, notJson.code());
        assertTrue(notJson.err().startsWith("error: --args is not valid JSON"), notJson.err());
        Run spin = run("call", Fixtures.path("spin.wasm").toString(), "spin", "--timeout", "300ms");
        assertEquals(1, spin.code());
        assertTrue(spin.err().startsWith("error: spin: stopped at its deadline"), spin.err());
        Run crash = run("call", types(), "wassette:fixtures/types@0.1.0#crash");
        assertEquals(1, crash.code());
        assertTrue(crash.err().contains("unreachable"), crash.err());
        Run missing = run("call", types(), "nope");
        assertEquals(3, missing.code());
        assertTrue(missing.err().contains("exports no function \"nope\""), missing.err());
        Path garbage = Files.write(tmp.resolve("garbage.wasm"), new byte[] {0, 'a', 's', 'm', 13, 0, 1, 0, (byte) 0xff, 7, 1});
        Run corrupt = run("inspect", garbage.toString());
        assertEquals(3, corrupt.code());
        assertTrue(corrupt.err().startsWith("error: " + garbage + ": invalid WebAssembly component: "), corrupt.err());
        Run timeout = run("call", types(), "greet", "--timeout", "soon");
        assertEquals(2, timeout.code());
    }

    @Test
    void aFileThatIsNoComponentSaysWhatItIsNotAtEveryEntryPoint() throws Exception {
        Path yaml = Files.writeString(tmp.resolve("notes.yaml"), "version: \"1.0\"\npermissions: {}\n");
        Path core = Files.write(tmp.resolve("core.wasm"), new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        Path brokenText = Files.writeString(tmp.resolve("broken.wat"), "(component (export");
        String store = tmp.resolve("store").toString();
        for (String file : List.of(yaml.toString(), core.toString(), brokenText.toString())) {
            for (String[] args : List.of(new String[] {"inspect", file}, new String[] {"call", file, "f"},
                    new String[] {"component", "load", file, "--component-dir", store})) {
                Run r = run(args);
                assertEquals(3, r.code(), String.join(" ", args) + ": " + r.err());
                String expected = "error: " + file + ": " + (file.equals(yaml.toString())
                        ? "not a WebAssembly component: no wasm magic number (\\0asm) at its start, and not component text"
                        : file.equals(core.toString()) ? "input is a core WebAssembly module, not a component"
                        : "cannot compile component text: expected ");
                assertTrue(r.err().startsWith(expected), String.join(" ", args) + ": " + r.err());
            }
        }
        Run coreText = run("inspect", Fixtures.path("add.wat").toString());
        assertTrue(coreText.err().contains(": input is core WebAssembly module text"), coreText.err());
    }

    @Test
    void inspectMarksEachImportAndLoadNamesEveryMissingOne() throws Exception {
        String imports = Fixtures.path("imports.wat").toString();
        Run inspect = run("inspect", imports);
        assertEquals(0, inspect.code(), inspect.err());
        String missing = "cannot link component: the component imports what this server does not provide: "
                + "wasi:config/store@0.2.0-draft (interface), acme:missing/thing@1.0.0 (interface), frob (function)";
        assertTrue(inspect.out().endsWith("""
                imports:
                  wasi:random/random@0.2.0       provided
                  wasi:cli/environment@0.2.3     provided, policy-gated (environment)
                  wassette:host/log@0.1.0        provided
                  wasi:config/store@0.2.0-draft  missing
                  acme:missing/thing@1.0.0       missing
                  frob (function)                missing
                loadable: no: %s
                """.formatted(missing)), inspect.out());
        String[] dirs = {"--component-dir", tmp.resolve("store").toString()};
        Run load = run(concat(new String[] {"component", "load", imports}, dirs));
        assertEquals(new Run(3, "", "error: " + imports + ": " + missing + "\n"), load);
        Run call = run("call", imports, "ok");
        assertEquals(new Run(3, "", "error: " + imports + ": " + missing + "\n"), call);

        Run types = run("inspect", types());
        assertTrue(types.out().endsWith("imports: none\nloadable: yes\n"), types.out());
        // A stored component by id: its WASI imports, the gated ones marked.
        assertEquals(0, run(concat(new String[] {"component", "load", Fixtures.path("io.wasm").toString()}, dirs)).code());
        Run stored = run(concat(new String[] {"inspect", "io"}, dirs));
        assertTrue(stored.out().lines().anyMatch(l -> l.matches("  wasi:filesystem/preopens@0\\.2\\.\\d+ +provided, policy-gated \\(storage\\)")), stored.out());
        assertTrue(stored.out().lines().anyMatch(l -> l.matches("  wasi:cli/stdout@0\\.2\\.\\d+ +provided")), stored.out());
        assertTrue(stored.out().endsWith("loadable: yes\n"), stored.out());
    }

    /** `wassette call` runs through the server's call path: the result cap holds, and the denial is audited. */
    @Test
    void callCapsTheResultAndAuditsIt() {
        java.util.logging.Logger audit = java.util.logging.Logger.getLogger("dev.wassette.audit");
        List<java.util.logging.LogRecord> records = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        audit.addHandler(capture);
        try {
            String big = "x".repeat(200_000);
            Run capped = run("call", types(), "wassette:fixtures/types@0.1.0#echo-string", "--max-result-size", "65536",
                    "--args", "{\"v\":\"" + big + "\"}");
            assertEquals(1, capped.code(), capped.err());
            assertEquals("", capped.out());
            assertEquals("error: wassette:fixtures/types@0.1.0#echo-string: result of about 200002 bytes exceeds the limit of 65536 bytes\n",
                    capped.err());
            List<String> lines = records.stream()
                    .map(r -> java.text.MessageFormat.format(r.getMessage(), r.getParameters())).toList();
            assertEquals(List.of("denied component=types function=wassette:fixtures/types@0.1.0#echo-string category=result_size: "
                    + "wassette:fixtures/types@0.1.0#echo-string: result of about 200002 bytes exceeds the limit of 65536 bytes"), lines);
            // Under the cap the same call answers; the default cap (16 MiB) lets it through too.
            Run small = run("call", types(), "wassette:fixtures/types@0.1.0#echo-string", "--max-result-size", "65536",
                    "--args", "{\"v\":\"short\"}");
            assertEquals(new Run(0, "\"short\"\n", ""), small);
            Run uncapped = run("call", types(), "wassette:fixtures/types@0.1.0#echo-string", "--args", "{\"v\":\"" + big + "\"}");
            assertEquals(0, uncapped.code(), uncapped.err());
            assertEquals(1, records.size(), "only the capped call was audited");
        } finally {
            audit.removeHandler(capture);
        }
    }

    @Test
    void callTakesTheToolNameInspectShows() {
        Run add = run("call", types(), "wassette_fixtures_types_0_1_0_add", "--args", "{\"a\":2,\"b\":3}");
        assertEquals(new Run(0, "5\n", ""), add);
        Run greet = run("call", types(), "greet", "--args", "{\"name\":\"tool\"}");
        assertEquals(new Run(0, "\"Hello, tool!\"\n", ""), greet);
        Run missing = run("call", types(), "wassette_fixtures_types_add");
        assertEquals(3, missing.code());
        assertTrue(missing.err().contains("wassette:fixtures/types@0.1.0#add / wassette_fixtures_types_0_1_0_add"), missing.err());
    }

    @Test
    void policyGrantsFilesAndEnvironment() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("in.txt"), "from the host");
        Path policy = Files.writeString(tmp.resolve("policy.yaml"), """
                version: "1.0"
                permissions:
                  storage:
                    allow:
                      - uri: "fs://%s/**"
                        access: [read]
                  environment:
                    allow: [{key: GREETING}]
                """.formatted(data));
        String io = Fixtures.path("io.wasm").toString();
        Run read = run("call", io, "wassette:fixtures/files@0.1.0#read-file", "--policy", policy.toString(),
                "--args", "{\"path\":\"" + data.resolve("in.txt") + "\"}");
        assertEquals("{\"ok\":\"from the host\"}\n", read.out(), read.err());
        Run env = run("call", io, "wassette:fixtures/files@0.1.0#get-env", "--policy", policy.toString(),
                "--env", "GREETING=hi", "--env", "OTHER=no", "--args", "{\"key\":\"GREETING\"}");
        assertEquals("\"hi\"\n", env.out(), env.err());
        Run other = run("call", io, "wassette:fixtures/files@0.1.0#get-env", "--policy", policy.toString(),
                "--env", "OTHER=no", "--args", "{\"key\":\"OTHER\"}");
        assertEquals("null\n", other.out(), other.err());
        Run noPolicy = run("call", io, "wassette:fixtures/files@0.1.0#read-file", "--args", "{\"path\":\"" + data.resolve("in.txt") + "\"}");
        assertTrue(noPolicy.out().startsWith("{\"err\":"), noPolicy.out());
        Path invalid = Files.writeString(tmp.resolve("bad.yaml"), "version: \"1.0\"\npermissions:\n  network:\n    allow: [{cidr: \"300.0.0.0/8\"}]\n");
        Run badPolicy = run("call", io, "wassette:fixtures/files@0.1.0#get-env", "--policy", invalid.toString(), "--args", "{\"key\":\"A\"}");
        assertEquals(3, badPolicy.code());
        assertEquals("error: " + invalid + ":4: cidr \"300.0.0.0/8\": \"300.0.0.0\" is not an IP address\n", badPolicy.err());
    }

    @Test
    void permissionsAndSecretsAreEditedOffline() throws Exception {
        Path components = tmp.resolve("components");
        Path secretsDir = tmp.resolve("secrets");
        dev.wassette.host.ComponentStore store = new dev.wassette.host.ComponentStore(components);
        store.put("io", Files.readAllBytes(Fixtures.path("io.wasm")));
        String[] dirs = {"--component-dir", components.toString()};
        Run grant = run(concat(new String[] {"permission", "grant", "storage", "io", "fs:///data/**", "--access", "read,write"}, dirs));
        assertEquals(0, grant.code(), grant.err());
        assertTrue(grant.out().contains("uri: fs:///data/**"), grant.out());
        assertEquals(0, run(concat(new String[] {"permission", "grant", "network", "io", "api.example.com"}, dirs)).code());
        assertEquals(0, run(concat(new String[] {"permission", "grant", "network", "io", "10.0.0.0/8"}, dirs)).code());
        assertEquals(0, run(concat(new String[] {"permission", "grant", "environment-variable", "io", "API_KEY"}, dirs)).code());
        assertEquals(0, run(concat(new String[] {"permission", "grant", "memory", "io", "64Mi"}, dirs)).code());
        assertEquals(0, run(concat(new String[] {"permission", "grant", "outbound-bytes", "io", "10Mi"}, dirs)).code());
        Run badBytes = run(concat(new String[] {"permission", "grant", "outbound-bytes", "io", "lots"}, dirs));
        assertEquals(3, badBytes.code());
        assertTrue(badBytes.err().contains("quota outbound_bytes is a size such as 64Ki or 10Mi, got \"lots\""), badBytes.err());
        Run get = run(concat(new String[] {"policy", "get", "io"}, dirs));
        assertEquals(0, get.code(), get.err());
        for (String expected : List.of("host: api.example.com", "cidr: 10.0.0.0/8", "key: API_KEY", "memory: 64Mi", "outbound_bytes: 10Mi", "- read", "- write")) {
            assertTrue(get.out().contains(expected), get.out());
        }
        Run bad = run(concat(new String[] {"permission", "grant", "network", "io", "a.*.example"}, dirs));
        assertEquals(3, bad.code());
        assertTrue(bad.err().contains("wildcards are allowed only as a leading"), bad.err());
        assertEquals(3, run(concat(new String[] {"permission", "grant", "network", "nope", "h.example"}, dirs)).code());
        // What WASI cannot enforce is refused when granted, with what would work instead; nothing is stored.
        Path notes = Files.writeString(Files.createDirectories(tmp.resolve("notes-dir")).resolve("notes.txt"), "n");
        Run file = run(concat(new String[] {"permission", "grant", "storage", "io", "fs://" + notes}, dirs));
        assertEquals(3, file.code(), file.err());
        assertTrue(file.err().contains("grant its directory fs://" + notes.getParent() + "/** instead read-only"), file.err());
        Run glob = run(concat(new String[] {"permission", "grant", "storage", "io", "fs://" + notes.getParent() + "/*.txt"}, dirs));
        assertEquals(3, glob.code(), glob.err());
        assertTrue(glob.err().contains("not glob patterns"), glob.err());
        Run writeOnly = run(concat(new String[] {"permission", "grant", "storage", "io", "fs://" + notes.getParent() + "/**", "--access", "write"}, dirs));
        assertEquals(3, writeOnly.code(), writeOnly.err());
        assertTrue(!store.policy("io").toString().contains("notes"), "a refused grant leaves the policy as it was");
        assertEquals(0, run(concat(new String[] {"permission", "revoke", "network", "io", "api.example.com"}, dirs)).code());
        assertTrue(!run(concat(new String[] {"policy", "get", "io"}, dirs)).out().contains("api.example.com"));
        assertEquals(0, run(concat(new String[] {"permission", "reset", "io"}, dirs)).code());
        assertTrue(store.policy("io").networkAllow().isEmpty() && store.policy("io").environmentAllow().isEmpty());

        String[] sdirs = {"--secrets-dir", secretsDir.toString()};
        assertEquals(0, run(concat(new String[] {"secret", "set", "io", "API_KEY=abc", "TOKEN=t=1"}, sdirs)).code());
        assertEquals("API_KEY\nTOKEN\n", run(concat(new String[] {"secret", "list", "io"}, sdirs)).out());
        assertEquals("API_KEY=abc\nTOKEN=t=1\n", run(concat(new String[] {"secret", "list", "io", "--show-values"}, sdirs)).out());
        assertEquals(0, run(concat(new String[] {"secret", "delete", "io", "TOKEN"}, sdirs)).code());
        assertEquals(3, run(concat(new String[] {"secret", "delete", "io", "TOKEN"}, sdirs)).code());
    }

    @Test
    void policyValidateReportsEveryError() throws Exception {
        Path good = Files.writeString(tmp.resolve("good.yaml"), "version: \"1.0\"\npermissions:\n  ipc: {}\n");
        Path bad = Files.writeString(tmp.resolve("bad.yaml"), "version: \"1.0\"\npermissions:\n  environment:\n    allow: [{key: \"A*\"}]\n");
        Run ok = run("policy", "validate", good.toString());
        assertEquals(0, ok.code());
        assertTrue(ok.err().startsWith("warning: " + good + ":3: \"ipc\" is not enforced"), ok.err());
        Run fail = run("policy", "validate", good.toString(), bad.toString());
        assertEquals(3, fail.code());
        assertEquals(bad + ":4: environment key \"A*\": wildcards are not allowed\n", fail.err().lines().filter(l -> !l.startsWith("warning")).map(l -> l + "\n").findFirst().orElse(""));
    }

    @Test
    void declaredPermissionsAreShownAndOnlyApplyDeclaredGrantsThem() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("in.txt"), "declared");
        Path pkg = Files.createDirectories(tmp.resolve("pkg"));
        Path io = Files.copy(Fixtures.path("io.wasm"), pkg.resolve("io.wasm"));
        String declaration = "capabilities:\n  filesystem: { read: [\"" + data + "\"] }\n  network: none\n";
        Files.writeString(pkg.resolve("io.policy.yaml"), declaration);
        String digest = dev.wassette.host.ComponentStore.DeclaredPolicy.of(declaration, "io.policy.yaml").digest();
        String[] dirs = {"--component-dir", tmp.resolve("store").toString()};
        String[] readFile = {"tool", "invoke", "wassette_fixtures_files_0_1_0_read-file", "--args", "{\"path\":\"" + data.resolve("in.txt") + "\"}"};

        Run inspectFile = run("inspect", io.toString());
        assertTrue(inspectFile.out().contains("declared permissions (" + digest + "), not granted; after loading, wassette permission apply-declared ID grants them\n"
                + "  version: '1.0'\n  permissions:\n    storage:\n      allow:\n      - uri: fs://" + data + "/**\n"), inspectFile.out());
        Run load = run(concat(new String[] {"component", "load", io.toString()}, dirs));
        assertEquals(0, load.code(), load.err());
        assertTrue(load.out().contains("declared permissions (" + digest + "), not granted; to grant exactly these: wassette permission apply-declared io --digest "
                + digest + "\n"), load.out());
        assertTrue(run(concat(readFile, dirs)).out().startsWith("{\"err\":"), "loading grants nothing");
        Run get = run(concat(new String[] {"policy", "get", "io"}, dirs));
        assertFalse(get.out().contains("storage"), get.out());
        assertEquals("note: io declares permissions that are not granted (" + digest + "); `wassette inspect io` shows them\n", get.err());

        String other = "sha256:" + "0".repeat(64);
        Run stale = run(concat(new String[] {"permission", "apply-declared", "io", "--digest", other}, dirs));
        assertEquals(new Run(3, "", "error: the declared policy of io is " + digest + ", not " + other
                + " that was consented to (the component was loaded again since); review it again\n"), stale);
        Run apply = run(concat(new String[] {"permission", "apply-declared", "io", "--digest", digest}, dirs));
        assertEquals(0, apply.code(), apply.err());
        assertTrue(apply.out().contains("uri: fs://" + data + "/**"), apply.out());
        assertEquals("{\"ok\":\"declared\"}\n", run(concat(readFile, dirs)).out());
        assertTrue(run(concat(new String[] {"inspect", "io"}, dirs)).out().contains("declared permissions (" + digest + "), granted:\n"));

        assertEquals(0, run(concat(new String[] {"component", "load", Fixtures.path("types.wasm").toString()}, dirs)).code());
        assertTrue(run(concat(new String[] {"inspect", "types"}, dirs)).out().contains("declared permissions: none\n"));
        assertEquals(new Run(3, "", "error: component types declares no permissions\n"),
                run(concat(new String[] {"permission", "apply-declared", "types"}, dirs)));
    }

    @Test
    void policyValidateTakesTheCapabilityForm() throws Exception {
        Path good = Files.writeString(tmp.resolve("caps.yaml"), "capabilities:\n  filesystem: { read: [\"./data\"], write: [\"/assets\"] }\n  network: none\n");
        Run ok = run("policy", "validate", good.toString());
        assertEquals(0, ok.code(), ok.err());
        assertEquals(good + ": valid\n", ok.out());
        assertEquals("warning: " + good + ":2: capabilities.filesystem.write \"/assets\" is not under read: WASI cannot grant write without read,"
                + " so it is not granted; list it under read as well for read-write access\n", ok.err());
        Path bad = Files.writeString(tmp.resolve("bad-caps.yaml"), "capabilities:\n  network: { outbound: [\"api.company.com:443/v1\", \"*.x.io:70000\"] }\n");
        Run fail = run("policy", "validate", bad.toString());
        assertEquals(new Run(3, "", bad + ":2: capabilities.network.outbound[0] \"api.company.com:443/v1\": write host:port, "
                + "without a path (\"/\" is for CIDR networks such as 10.0.0.0/8)\n" + bad + ":2: capabilities.network.outbound[1] \"*.x.io:70000\": port 70000 is out of range\n"), fail);
    }

    @Test
    void componentAndToolCommandsWorkOnTheStoreOffline() throws Exception {
        String[] dirs = {"--component-dir", tmp.resolve("store").toString()};
        Run load = run(concat(new String[] {"component", "load", Fixtures.path("types.wasm").toString()}, dirs));
        assertEquals(0, load.code(), load.err());
        assertTrue(load.out().startsWith("loaded types into "), load.out());
        Run table = run(concat(new String[] {"component", "list"}, dirs));
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("types") && l.contains("28")), table.out());
        Run json = run(concat(new String[] {"component", "list", "-o", "json"}, dirs));
        assertTrue(json.out().contains("\"tool_names\""), json.out());
        Run yaml = run(concat(new String[] {"tool", "list", "-o", "yaml"}, dirs));
        assertTrue(yaml.out().contains("name: wassette_fixtures_types_0_1_0_add") && yaml.out().contains("inputSchema:"), yaml.out());
        assertEquals(new Run(0, "42\n", ""), run(concat(new String[] {"tool", "invoke", "wassette_fixtures_types_0_1_0_add", "--args", "{\"a\":40,\"b\":2}"}, dirs)));
        assertEquals(3, run(concat(new String[] {"tool", "invoke", "wassette_fixtures_types_0_1_0_add", "--args", "{\"a\":\"x\",\"b\":2}"}, dirs)).code());
        assertEquals(3, run(concat(new String[] {"tool", "invoke", "nope"}, dirs)).code());
        Run inspect = run(concat(new String[] {"inspect", "types"}, dirs));
        assertTrue(inspect.out().contains("tool:   wassette_fixtures_types_0_1_0_add"), inspect.out());
        assertEquals(0, run(concat(new String[] {"component", "unload", "types"}, dirs)).code());
        assertEquals(3, run(concat(new String[] {"component", "unload", "types"}, dirs)).code());
    }

    @Test
    void missingOrWrongNativeLibraryNamesTheFix() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path notALibrary = Files.writeString(tmp.resolve("libwassette_wasmtime.so"), "not a shared object");
        for (String library : List.of(tmp.resolve("absent.so").toString(), notALibrary.toString())) {
            Process p = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-Dwassette.native.library=" + library,
                    "-cp", System.getProperty("java.class.path"), WassetteCli.class.getName(), "inspect", types())
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(p.exitValue() != 0, output);
            // (The JVM itself may warn about a bogus library before our message.)
            List<String> errors = output.lines().filter(l -> l.startsWith("error: ")).toList();
            assertEquals(1, errors.size(), output);
            assertTrue(errors.getFirst().contains("native/build.sh") && errors.getFirst().contains(library), output);
            assertTrue(output.lines().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")), "no stack trace: " + output);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The launcher records its AOT cache from this session: it must run through, every answer without error. */
    @Test
    void aotTrainingSessionRunsThrough() {
        Run r = run("aot-train");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out(), "nothing on stdout");
    }

    /** Only the command that runs is built; help still lists every command. */
    @Test
    void helpListsEveryCommandWhileARunBuildsOnlyItsOwn() {
        CommandLine one = WassetteCli.commandLine(new String[] {"inspect", "x.wasm"});
        assertEquals(java.util.Set.of("inspect"), one.getSubcommands().keySet());
        CommandLine all = WassetteCli.commandLine(new String[] {"help"});
        assertTrue(all.getSubcommands().keySet().containsAll(List.of("run", "serve", "component", "tool", "inspect", "call",
                "policy", "permission", "secret", "help", "generate-completion")), all.getSubcommands().keySet().toString());
        assertTrue(all.getSubcommands().get("aot-train").getCommandSpec().usageMessage().hidden(), "aot-train is not shown in help");
    }
}

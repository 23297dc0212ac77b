package dev.wassette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The programs in {@code examples/}: compiled against the library as it is built, each run in a
 * JVM of its own, their output checked line by line.
 */
class ExamplesTest {
    @TempDir
    static Path classes;

    @TempDir
    Path work;

    private static Path examples() {
        return Path.of(System.getProperty("wassette.examples", "examples")).toAbsolutePath();
    }

    @BeforeAll
    static void compile() throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<File> sources;
        try (Stream<Path> files = Files.walk(examples().resolve("src/main/java"))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).map(Path::toFile).toList();
        }
        assertEquals(5, sources.size(), "the five examples: " + sources);
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean ok = javac.getTask(null, fm, diagnostics,
                    List.of("--release", "25", "-Xlint:all", "-Werror", "-d", classes.toString(), "-cp", System.getProperty("java.class.path")),
                    null, fm.getJavaFileObjectsFromFiles(sources)).call();
            assertTrue(ok, () -> "examples do not compile:\n" + String.join("\n", diagnostics.getDiagnostics().stream().map(Object::toString).toList()));
        }
    }

    /** A JVM running {@code mainClass} of the examples; stderr goes to a file beside the test. */
    private Process start(String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", classes + File.pathSeparator + System.getProperty("java.class.path"),
                "dev.wassette.examples." + mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(work.resolve(mainClass + ".stderr").toFile()).start();
    }

    /** Runs an example to its end (at most two minutes) and returns its standard output. */
    private String run(String mainClass, String... args) throws Exception {
        Process p = start(mainClass, args);
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(mainClass + " did not finish in 2 minutes; stderr:\n" + Files.readString(work.resolve(mainClass + ".stderr")));
        }
        assertEquals(0, p.exitValue(), () -> mainClass + " failed; stderr:\n" + stderr(mainClass));
        return out.get(10, TimeUnit.SECONDS);
    }

    private String stderr(String mainClass) {
        try {
            return Files.readString(work.resolve(mainClass + ".stderr"));
        } catch (IOException e) {
            return "(no stderr: " + e.getMessage() + ")";
        }
    }

    private static String fixture(String name) {
        return Fixtures.path(name).toString();
    }

    @Test
    void hello() throws Exception {
        assertEquals("""
                Hello, World!
                2 + 3 = 5
                """, run("HelloExample", fixture("types.wasm")));
    }

    @Test
    void policy() throws Exception {
        assertEquals("""
                read data/notes.txt: ok: granted notes
                read secret.txt: denied
                write data/new.txt: denied
                data/new.txt exists: false
                read data/notes.txt without a grant: denied
                """, run("PolicyExample", fixture("io.wasm")));
    }

    @Test
    void limits() throws Exception {
        String out = run("LimitsExample", fixture("spin.wasm"), fixture("bomb.wasm"));
        List<String> lines = out.lines().toList();
        assertEquals(List.of("spin: TIMEOUT", "spin with 100m of CPU: OUT_OF_FUEL", "ok: 42", "bomb allocated at most 32 MiB: true"),
                lines.subList(0, 4), out);
        assertTrue(lines.get(4).startsWith("denials: {") && lines.get(4).contains("timeout=1") && lines.get(4).contains("cpu=1"), out);
    }

    @Test
    void hostFunction() throws Exception {
        assertEquals("""
                gross of 10000 cents: 11900
                host function failed: HOST_ERROR: no tax rate for amounts above 2^63 cents
                """, run("HostFunctionExample", examples().resolve("components/pricing.wat").toString()));
    }

    @Test
    void httpServiceRunsAComponentPerRequestUnderItsPolicy() throws Exception {
        Path data = Files.createDirectories(work.resolve("data"));
        Files.writeString(data.resolve("notes.txt"), "served from the data directory");
        Files.writeString(work.resolve("secret.txt"), "must not be served");
        Process service = start("HttpServiceExample", fixture("types.wasm"), fixture("io.wasm"), data.toString());
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(service.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            String listening = first.get(2, TimeUnit.MINUTES);
            assertTrue(listening != null && listening.startsWith("listening on http://127.0.0.1:"), () -> listening + "\n" + stderr("HttpServiceExample"));
            URI base = URI.create(listening.substring("listening on ".length()));
            try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                assertEquals(new Reply(200, "Hello, Ada!"), post(http, base, "/greet", "{\"name\":\"Ada\"}"));
                assertEquals(new Reply(200, "served from the data directory"),
                        post(http, base, "/read", "{\"path\":\"" + data.resolve("notes.txt") + "\"}"));
                Reply outside = post(http, base, "/read", "{\"path\":\"" + work.resolve("secret.txt") + "\"}");
                assertEquals(403, outside.status(), outside.body());
                assertTrue(outside.body().startsWith("not readable: "), outside.body());
                assertEquals(new Reply(400, "args.name: expected a string, got a number 5"), post(http, base, "/greet", "{\"name\":5}"));
                assertEquals(405, http.send(HttpRequest.newBuilder(base.resolve("/greet")).timeout(Duration.ofSeconds(30)).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode());
                // Requests in parallel, each its own instance.
                List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    burst.add(http.sendAsync(HttpRequest.newBuilder(base.resolve("/greet")).timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"n" + i + "\"}")).build(), HttpResponse.BodyHandlers.ofString()));
                }
                for (int i = 0; i < 32; i++) {
                    HttpResponse<String> r = burst.get(i).get(60, TimeUnit.SECONDS);
                    assertEquals(new Reply(200, "Hello, n" + i + "!"), new Reply(r.statusCode(), r.body().strip()));
                }
            }
            service.getOutputStream().close(); // the service stops when its stdin closes
            assertTrue(service.waitFor(1, TimeUnit.MINUTES), "the service stopped");
            assertEquals(0, service.exitValue(), () -> stderr("HttpServiceExample"));
            assertEquals("stopped", out.readLine());
        } finally {
            service.destroyForcibly();
        }
    }

    private record Reply(int status, String body) {}

    private static Reply post(HttpClient http, URI base, String path, String json) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().strip());
    }
}

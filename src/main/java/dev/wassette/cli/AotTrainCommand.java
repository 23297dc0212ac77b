package dev.wassette.cli;

import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.mcp.EarlyAnswers;
import dev.wassette.mcp.EarlyResponder;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.mcp.StreamTransport;
import dev.wassette.mcp.WassetteMcpServer;
import dev.wassette.runtime.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * A short, representative server session run by the launcher under {@code -XX:AOTCacheOutput}, so
 * the JVM's AOT cache (JEP 483/514/515) holds the classes — loaded and linked — and the method
 * profiles of a real session: MCP over stdio, the built-in tools, and a component loaded and called.
 * It works in a temporary store, touches nothing of the user's, and writes nothing to stdout.
 */
@Command(name = "aot-train", hidden = true, description = "Runs a short server session in a temporary store (for the JVM's AOT cache).")
final class AotTrainCommand implements Callable<Integer> {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final int TRAINING_CALLS = 3000;

    @Override
    public Integer call() throws Exception {
        Path tmp = Files.createTempDirectory("wassette-aot-train");
        try {
            Path component = tmp.resolve("train.wat");
            try (InputStream wat = AotTrainCommand.class.getResourceAsStream("/dev/wassette/aot/train.wat")) {
                Files.copy(wat, component);
            }
            Files.createDirectories(tmp.resolve("data"));
            parseRunCommandLine(tmp);
            ComponentHost.Settings settings = ComponentHost.Settings.builder().componentDir(tmp.resolve("components"))
                    .secretsDir(tmp.resolve("secrets")).baseDir(tmp).processEnv(Map.of()).build();
            try (Engine engine = Engines.create();
                 ComponentHost host = new ComponentHost(engine, settings);
                 WassetteMcpServer server = new WassetteMcpServer(host, true)) {
                server.loadStoredComponents();
                // A channel pipe, not java.io's Piped streams: those fail once the thread that last
                // read has ended, and a session's reading moves to a new thread after a slow message.
                java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
                OutputStream toServer = java.nio.channels.Channels.newOutputStream(pipe.sink());
                Answers answers = new Answers();
                StreamTransport transport = new StreamTransport(server, HttpMcpServer.MAX_REQUEST_BYTES);
                server.streams(transport);
                transport.open("aot-train", java.nio.channels.Channels.newInputStream(pipe.source()), answers, null, null).start();
                int id = 0;
                send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":" + ++id + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"aot-train\",\"version\":\"1\"}}}");
                send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
                send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":" + ++id + ",\"method\":\"tools/list\"}");
                send(toServer, call(++id, "load-component", "{\"path\":\"" + component.toUri() + "\"}"));
                answers.await(id);
                // Enough calls for the method profiles the cache keeps (JEP 515) to mark the call path
                // hot, so that a server's JIT compiles it early instead of after thousands of calls.
                for (int i = 0; i < TRAINING_CALLS; i++) {
                    send(toServer, call(++id, "add", "{\"a\":" + i + ",\"b\":2}"));
                    send(toServer, call(++id, "echo", "{\"s\":\"training call " + i + "\"}"));
                    if (i % 50 == 0) {
                        answers.await(id); // keep the calls in flight few, as a client does
                    }
                }
                send(toServer, call(++id, "add", "{\"a\":\"not a number\"}"));
                send(toServer, call(++id, "list-components", "{}"));
                send(toServer, call(++id, "grant-storage-permission", "{\"component_id\":\"train\",\"details\":{\"uri\":\"fs://"
                        + tmp.resolve("data") + "/**\",\"access\":[\"read\"]}}"));
                send(toServer, call(++id, "get-policy", "{\"component_id\":\"train\"}"));
                send(toServer, call(++id, "reset-permission", "{\"component_id\":\"train\"}"));
                send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":" + ++id + ",\"method\":\"tools/list\"}");
                send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":" + ++id + ",\"method\":\"ping\"}");
                send(toServer, "not json");
                answers.await(id + 1); // every request, and the parse error
                if (answers.errors() > 0) {
                    return WassetteCli.GUEST_FAILED;
                }
                // The early answers of `run` without the daemon: recorded, then an opening answered from them.
                Path early = tmp.resolve("run-train.early.json");
                new EarlyAnswers(early, server, transport.protocolVersions(), host.store().directory(), List.of(tmp.resolve("absent.toml")), null).write();
                answerEarly(early);
                // And this build's answers for an empty store, which a new configuration's first run answers from.
                Path answersDirectory = EarlyResponder.cachedAnswersDirectory();
                if (answersDirectory != null) {
                    EarlyAnswers.writeForEmptyStore(answersDirectory, server, transport.protocolVersions());
                }
                toServer.close();
            }
            return WassetteCli.OK;
        } finally {
            deleteTree(tmp);
        }
    }

    /** An opening answered by {@link EarlyResponder} from {@code recorded}, and handed over. */
    private static void answerEarly(Path recorded) throws IOException, InterruptedException {
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        Answers answers = new Answers();
        EarlyResponder responder = EarlyResponder.start(recorded, java.nio.channels.Channels.newInputStream(pipe.source()), answers);
        String opening = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"aot-train\",\"version\":\"1\"}}}\n"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n";
        try (OutputStream client = java.nio.channels.Channels.newOutputStream(pipe.sink())) {
            client.write(opening.getBytes(StandardCharsets.UTF_8));
            answers.await(2);
            try (InputStream input = responder.handOver().input()) {
                input.readNBytes(opening.length());
            }
        }
    }

    /**
     * What {@code wassette run} does before it serves: its command line built and parsed (picocli's
     * model of {@link RunCommand} and {@link ServerOptions}), the config read and the settings made —
     * here with a config file that does not exist and directories in {@code tmp}, and nothing run.
     */
    private static void parseRunCommandLine(Path tmp) throws IOException {
        String[] args = {"run", "--config", tmp.resolve("absent.toml").toString(), "--component-dir", tmp.resolve("components").toString(),
            "--secrets-dir", tmp.resolve("secrets").toString(), "--timeout", "30s", "--env", "AOT_TRAIN=1"};
        var parsed = WassetteCli.commandLine(args).parseArgs(args);
        ServerOptions options = ((RunCommand) parsed.subcommand().commandSpec().userObject()).options;
        ClientEnvironment client = ClientEnvironment.ofThisProcess();
        options.settings(options.config(client), client);
        Config.defaultFile();
    }

    /** Counts the answers the server writes, so each step waits for the previous one. */
    private static final class Answers extends OutputStream {
        private final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        private int answered;
        private int errors;

        @Override
        public synchronized void write(int b) throws IOException {
            if (b != '\n') {
                line.write(b);
                return;
            }
            var message = json.readTree(line.toByteArray());
            line.reset();
            if (message.has("result") || message.has("error")) {
                answered++;
                // The session is scripted: a JSON-RPC error other than the deliberate parse error means it went wrong.
                if (message.has("error") && message.path("error").path("code").asInt() != -32700) {
                    errors++;
                }
                notifyAll();
            }
        }

        synchronized void await(int count) throws InterruptedException {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (answered < count && System.nanoTime() < deadline) {
                wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
            if (answered < count) {
                throw new IllegalStateException("the training session got " + answered + " of " + count + " answers");
            }
        }

        synchronized int errors() {
            return errors;
        }
    }

    private static String call(int id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

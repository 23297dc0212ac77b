package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A session of a {@link StreamTransport} driven with raw JSON-RPC lines, as a stdio client writes
 * them: what a test sends goes through a pipe, each line the server writes is parsed and queued.
 */
final class RawStreamSession implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Pipe input;
    private final BlockingQueue<JsonNode> written = new LinkedBlockingQueue<>();
    private final StreamTransport.Connection connection;

    RawStreamSession(StreamTransport transport, String name) throws IOException {
        input = Pipe.open();
        OutputStream out = new OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    try {
                        written.add(JSON.readTree(line.toByteArray()));
                    } catch (IOException e) {
                        throw new AssertionError("not JSON on the session's output: " + line, e);
                    }
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        };
        connection = transport.open(name, Channels.newInputStream(input.source()), out, null, null);
        connection.start();
    }

    /** Writes {@code line} and a newline to the server. */
    void send(String line) throws IOException {
        sendRaw(line + "\n");
    }

    /** Writes {@code text} to the server as it is, in one write. */
    void sendRaw(String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            input.sink().write(bytes);
        }
    }

    /** Ends the session's input, as a client closing the server's stdin. */
    void endInput() throws IOException {
        input.sink().close();
    }

    /** The answer (result or error) to the request whose id is the JSON {@code id}, within 60 s; other lines are skipped. */
    JsonNode answer(String id) throws IOException, InterruptedException {
        JsonNode wanted = JSON.readTree(id);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode next = written.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (next == null) {
                throw new AssertionError("no answer to request " + id + " within 60 s");
            }
            if (wanted.equals(next.get("id")) && (next.has("result") || next.has("error"))) {
                return next;
            }
        }
    }

    /** The next line the server writes, within 60 s. */
    JsonNode next() throws InterruptedException {
        JsonNode next = written.poll(60, TimeUnit.SECONDS);
        if (next == null) {
            throw new AssertionError("the server wrote nothing within 60 s");
        }
        return next;
    }

    JsonNode answer(int id) throws IOException, InterruptedException {
        return answer(Integer.toString(id));
    }

    static String call(String id, String tool, String arguments) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}}";
    }

    static String call(int id, String tool, String arguments) {
        return call(Integer.toString(id), tool, arguments);
    }

    @Override
    public void close() {
        connection.end("test over");
    }

    /** Settings of a host whose store, secrets and base directory are in {@code dir}, with no process environment. */
    static ComponentHost.Settings.Builder settings(Path dir) {
        return ComponentHost.Settings.builder().componentDir(dir.resolve("components")).secretsDir(dir.resolve("secrets")).baseDir(dir)
                .processEnv(Map.of());
    }

    /** A server with its built-in tools, serving sessions on the stream transport {@code transport} makes for it. */
    static final class Served implements AutoCloseable {
        final ComponentHost host;
        final WassetteMcpServer server;
        final StreamTransport transport;

        Served(ComponentHost.Settings.Builder settings, Function<WassetteMcpServer, StreamTransport> transport) {
            host = new ComponentHost(Fixtures.engine(), settings.build());
            server = new WassetteMcpServer(host, true);
            this.transport = transport.apply(server);
            server.streams(this.transport);
        }

        @Override
        public void close() {
            server.close();
            host.close();
        }
    }
}

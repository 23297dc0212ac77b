package dev.wassette.examples;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.wassette.SandboxedComponent;
import dev.wassette.WassetteRuntime;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.TrapException;
import dev.wassette.tools.InvalidArgumentException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A small HTTP service that runs an untrusted component for every request, in-process, under a
 * policy (the JDK's HttpServer; one fresh instance per request, calls in parallel):
 * <ul>
 * <li>{@code POST /greet} with {@code {"name": "Ada"}} calls {@code greet} of {@code types.wasm},
 * which may touch nothing;</li>
 * <li>{@code POST /read} with {@code {"path": "/srv/data/x.txt"}} calls {@code read-file} of
 * {@code io.wasm}, which may read the data directory and nothing else: 200 with the text, 403 when
 * the guest could not read it.</li>
 * </ul>
 * The request body is the function's arguments, as JSON: a bad one is a 400 naming what is wrong.
 *
 * <pre>java -cp … dev.wassette.examples.HttpServiceExample types.wasm io.wasm DATA_DIR [PORT]</pre>
 *
 * Prints {@code listening on http://127.0.0.1:PORT} and serves until its standard input closes.
 */
public final class HttpServiceExample {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[2]).toAbsolutePath();
        int port = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        ExecutorService workers = Executors.newFixedThreadPool(16); // a guest holds its thread while it runs
        try (WassetteRuntime wassette = WassetteRuntime.builder().callTimeout(Duration.ofSeconds(2)).maxResultBytes(1 << 20).build();
             SandboxedComponent greeter = wassette.load(Path.of(args[0]), Policy.builder().build());
             SandboxedComponent files = wassette.load(Path.of(args[1]), Policy.builder().allowRead(data).build())) {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
            server.createContext("/greet", exchange -> respond(exchange, arguments -> {
                JsonNode greeting = greeter.call("greet", arguments);
                return new Reply(200, greeting.asText());
            }));
            server.createContext("/read", exchange -> respond(exchange, arguments -> {
                JsonNode result = files.call("wassette:fixtures/files@0.1.0#read-file", arguments);
                return result.has("ok") ? new Reply(200, result.get("ok").asText()) : new Reply(403, "not readable: " + result.get("err").asText());
            }));
            server.setExecutor(workers);
            server.start();
            System.out.println("listening on http://127.0.0.1:" + server.getAddress().getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until stdin closes
            }
            server.stop(1);
        } finally {
            workers.shutdownNow();
        }
        System.out.println("stopped");
    }

    private record Reply(int status, String body) {}

    @FunctionalInterface
    private interface Handler {
        Reply handle(JsonNode arguments) throws Exception;
    }

    /** The component's answer to the request's JSON body, or why there is none: bad arguments, a guest stopped by a limit. */
    private static void respond(HttpExchange exchange, Handler handler) throws IOException {
        Reply reply;
        try (var in = exchange.getRequestBody()) {
            if (!exchange.getRequestMethod().equals("POST")) {
                reply = new Reply(405, "POST the arguments as a JSON object");
            } else {
                reply = handler.handle(JSON.readTree(in));
            }
        } catch (JacksonException e) {
            reply = new Reply(400, "the body is not JSON: " + e.getOriginalMessage());
        } catch (InvalidArgumentException e) {
            reply = new Reply(400, e.getMessage());
        } catch (TrapException e) {
            reply = new Reply(e.kind() == TrapException.Kind.TIMEOUT ? 504 : 500, e.getMessage());
        } catch (Exception e) {
            reply = new Reply(500, String.valueOf(e.getMessage()));
        }
        byte[] body = (reply.body() + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(reply.status(), body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}

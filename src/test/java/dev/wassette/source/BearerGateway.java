package dev.wassette.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.wassette.FakeRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * The token-service half of the distribution auth flow that public registries (Docker Hub, GHCR)
 * use, in front of a real registry: every {@code /v2/} request without a token it issued gets
 * {@code 401} with {@code WWW-Authenticate: Bearer realm=…,service=…,scope=…}; {@code /token} issues
 * one (anonymously, or only for Basic {@code user:password} when those are set); requests with a
 * token are passed on to the registry unchanged.
 */
final class BearerGateway implements AutoCloseable {
    private final HttpServer server;
    private final String upstream;
    private final String user;
    private final String password;
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final HttpClient client = HttpClient.newHttpClient();
    /** The query of every token request. */
    final List<String> tokenRequests = new CopyOnWriteArrayList<>();

    BearerGateway(String upstreamAddress, String user, String password) {
        this.upstream = "http://" + upstreamAddress;
        this.user = user;
        this.password = password;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::proxy);
        server.start();
    }

    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void token(HttpExchange ex) throws IOException {
        try (ex) {
            tokenRequests.add(ex.getRequestURI().getRawQuery());
            if (user != null) {
                String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    FakeRegistry.respond(ex, 401, "{\"details\":\"incorrect username or password\"}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
            }
            String token = UUID.randomUUID().toString();
            tokens.add(token);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            FakeRegistry.respond(ex, 200, ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8));
        }
    }

    private void proxy(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.startsWith("Bearer ") || !tokens.contains(auth.substring(7))) {
                String path = ex.getRequestURI().getPath();
                String repository = path.replaceFirst("^/v2/", "").replaceFirst("/(manifests|blobs)/.*$", "");
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + address() + "/token\",service=\"gateway.test\",scope=\"repository:"
                        + repository + ":pull\"");
                ex.getResponseHeaders().add("Content-Type", "application/json");
                FakeRegistry.respond(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI().getRawPath()));
            String accept = ex.getRequestHeaders().getFirst("Accept");
            if (accept != null) {
                request.header("Accept", accept);
            }
            HttpResponse<byte[]> r = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            for (String h : List.of("Content-Type", "Docker-Content-Digest")) {
                r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
            }
            FakeRegistry.respond(ex, r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

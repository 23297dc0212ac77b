package dev.wassette;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.wassette.source.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * An HTTP server (the JDK's) that plays a registry or a download server badly on purpose: it
 * serves whatever bytes, headers and statuses a test sets per path — a tampered blob, a truncated
 * one, a 500, no answer at all, a redirect — which a real registry never would. Records every
 * request it sees.
 */
public final class FakeRegistry implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();

    /** A request as the server saw it. */
    public record Seen(String method, String path, String authorization) {}

    private final HttpServer server;
    private final Map<String, HttpHandler> routes = new ConcurrentHashMap<>();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();

    private FakeRegistry(HttpServer server) {
        this.server = server;
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** A plain-HTTP server on a free loopback port. */
    public static FakeRegistry plain() {
        try {
            return new FakeRegistry(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An HTTPS server on a free loopback port presenting a certificate from {@code tls}. */
    public static FakeRegistry tls(SSLContext tls) {
        try {
            HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.setHttpsConfigurator(new HttpsConfigurator(tls));
            return new FakeRegistry(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public String url(String path) {
        return (server instanceof HttpsServer ? "https://" : "http://") + address() + path;
    }

    public void route(String path, HttpHandler handler) {
        routes.put(path, handler);
    }

    /** Serves {@code body} at {@code path} with a Content-Type and any extra headers (name, value, …). */
    public void serve(String path, String contentType, byte[] body, String... headers) {
        route(path, ex -> {
            if (contentType != null) {
                ex.getResponseHeaders().add("Content-Type", contentType);
            }
            for (int i = 0; i + 1 < headers.length; i += 2) {
                ex.getResponseHeaders().add(headers[i], headers[i + 1]);
            }
            respond(ex, 200, body);
        });
    }

    /** A blob at {@code /v2/<repo>/blobs/<digest of body>}. */
    public void blob(String repository, byte[] body) {
        serve("/v2/" + repository + "/blobs/" + Digest.sha256(body), "application/octet-stream", body);
    }

    /** A manifest, served under its tag and its digest. */
    public void manifest(String repository, String tag, String mediaType, byte[] body) {
        serve("/v2/" + repository + "/manifests/" + tag, mediaType, body, "Docker-Content-Digest", Digest.sha256(body).toString());
        serve("/v2/" + repository + "/manifests/" + Digest.sha256(body), mediaType, body, "Docker-Content-Digest", Digest.sha256(body).toString());
    }

    public static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        seen.add(new Seen(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization")));
        HttpHandler h = routes.get(path);
        if (h == null && path.equals("/v2/")) {
            h = e -> respond(e, 200, "{}".getBytes(StandardCharsets.UTF_8));
        }
        if (h == null) {
            ex.getResponseHeaders().add("Content-Type", "application/json");
            respond(ex, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try {
            h.handle(ex);
        } finally {
            ex.close();
        }
    }

    /** A Wasm artifact manifest (as wkg writes it) for these blobs. */
    public static byte[] wasmManifest(byte[] config, byte[] component, String... policyLayer) {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
        m.set("config", descriptor("application/vnd.wasm.config.v0+json", config));
        m.putArray("layers").add(descriptor("application/wasm", component));
        if (policyLayer.length == 2) {
            ((com.fasterxml.jackson.databind.node.ArrayNode) m.get("layers"))
                    .add(descriptor(policyLayer[0], policyLayer[1].getBytes(StandardCharsets.UTF_8)));
        }
        try {
            return JSON.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode descriptor(String mediaType, byte[] content) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", mediaType);
        d.put("digest", Digest.sha256(content).toString());
        d.put("size", content.length);
        return d;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

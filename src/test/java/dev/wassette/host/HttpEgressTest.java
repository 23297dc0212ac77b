package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.wassette.Fixtures;
import dev.wassette.policy.PolicyParser;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Val;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Outgoing wasi:http through the egress hook, with the JavaScript fixture {@code fetch.wasm} (componentize-js). */
class HttpEgressTest {
    private static HttpServer allowed;
    private static HttpServer other;
    private static final AtomicInteger hitsOnOther = new AtomicInteger();
    private static ComponentSandbox sandbox;

    @BeforeAll
    static void start() throws Exception {
        allowed = server("hello from the allowed host", null);
        other = server("must not be reached", hitsOnOther);
        sandbox = new ComponentSandbox(Fixtures.engine(), Fixtures.component("fetch.wasm"), new HostLog(Map.of()));
    }

    private static HttpServer server(String body, AtomicInteger hits) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            if (hits != null) {
                hits.incrementAndGet();
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    @AfterAll
    static void stop() {
        allowed.stop(0);
        other.stop(0);
    }

    /** GET {@code url} under {@code policy}; the call's network denials are added to {@code denials}. */
    private Val get(String url, Policy policy, List<String> denials) {
        ExportedFunction f = sandbox.component().export("http-get");
        CallContext context = new CallContext();
        try {
            return sandbox.call(f, List.of(new Val.Str(url)), CallPolicy.of(policy, Path.of("").toAbsolutePath(),
                    new Limits(Duration.ofSeconds(20), 1 << 20)), key -> null, context);
        } finally {
            context.denials().forEach(d -> denials.add(d.detail()));
        }
    }

    @Test
    void allowedLoopbackHostIsReachedAndOthersAreDenied() throws Exception {
        int port = allowed.getAddress().getPort();
        List<String> denials = Collections.synchronizedList(new ArrayList<>());
        Policy policy = PolicyParser.parse("""
                version: "1.0"
                permissions:
                  network:
                    allow:
                      - host: "http://127.0.0.1:%d"
                """.formatted(port), "p.yaml");

        Val ok = get("http://127.0.0.1:" + port + "/x", policy, denials);
        assertEquals(Val.ResultVal.ok(new Val.Str("200 hello from the allowed host")), ok);

        int otherPort = other.getAddress().getPort();
        Val deniedPort = get("http://127.0.0.1:" + otherPort + "/", policy, denials);
        assertFalse(((Val.ResultVal) deniedPort).isOk(), deniedPort.toString());
        Val deniedHost = get("http://localhost:" + port + "/", policy, denials);
        assertFalse(((Val.ResultVal) deniedHost).isOk(), deniedHost.toString());
        assertEquals(0, hitsOnOther.get(), "the denied server saw no request");
        assertTrue(denials.stream().anyMatch(d -> d.contains("127.0.0.1:" + otherPort)), denials.toString());
        assertTrue(denials.stream().anyMatch(d -> d.contains("localhost:" + port)), denials.toString());
        // The JS runtime reports every refused fetch as a NetworkError; the host-side denial log carries the reason.
        assertTrue(denials.stream().allMatch(d -> d.contains("no network rule allows this host")), denials.toString());
    }

    @Test
    void aCallMakesNoMoreOutboundRequestsThanItsQuota() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        HttpServer counted = server("counted", hits);
        try {
            int port = counted.getAddress().getPort();
            Policy policy = localhostWithQuotas(port, "{outbound_requests: 2}");
            String url = "http://127.0.0.1:" + port + "/";
            ExportedFunction getAll = sandbox.component().export("http-get-all");
            CallContext context = new CallContext();
            Val three = sandbox.call(getAll, List.of(new Val.ListVal(List.of(new Val.Str(url), new Val.Str(url), new Val.Str(url)))),
                    CallPolicy.of(policy, Path.of("").toAbsolutePath(), new Limits(Duration.ofSeconds(20), 1 << 20)), key -> null, context);
            assertFalse(((Val.ResultVal) three).isOk(), "the third request is denied: " + three);
            assertEquals(2, hits.get(), "the server saw the two requests within the quota");
            assertEquals(List.of(Audit.Category.QUOTA), context.denials().stream().map(CallContext.Denial::category).toList());
            assertTrue(context.denials().getFirst().detail().contains("quota outbound_requests (2)"), context.denials().toString());

            // The quota is per call: the next call has its own.
            CallContext next = new CallContext();
            Val two = sandbox.call(getAll, List.of(new Val.ListVal(List.of(new Val.Str(url), new Val.Str(url)))),
                    CallPolicy.of(policy, Path.of("").toAbsolutePath(), new Limits(Duration.ofSeconds(20), 1 << 20)), key -> null, next);
            assertTrue(((Val.ResultVal) two).isOk(), two.toString());
            assertEquals(4, hits.get());
        } finally {
            counted.stop(0);
        }
    }

    @Test
    void aCallSendsNoMoreBytesThanItsQuotaWhileTheNextCallHasItsOwn() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        HttpServer counting = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        counting.createContext("/", ex -> {
            hits.incrementAndGet();
            byte[] b = ("got " + ex.getRequestBody().readAllBytes().length).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        counting.start();
        try {
            int port = counting.getAddress().getPort();
            String url = "http://127.0.0.1:" + port + "/upload";
            Policy policy = localhostWithQuotas(port, "{outbound_bytes: 2Ki}");
            CallPolicy callPolicy = CallPolicy.of(policy, Path.of("").toAbsolutePath(), new Limits(Duration.ofSeconds(20), 1 << 20));
            ExportedFunction post = sandbox.component().export("http-post");

            CallContext small = new CallContext();
            Val sent = sandbox.call(post, List.of(new Val.Str(url), new Val.Str("x".repeat(1000))), callPolicy, key -> null, small);
            assertEquals(new Val.Str("200 got 1000"), ((Val.ResultVal) sent).payload(), sent.toString());
            assertTrue(small.outboundBytes() > 1000 && small.outboundBytes() < 2048, "head and body counted: " + small.outboundBytes());
            assertEquals(List.of(), small.denials());

            // A body over the quota is cut: the guest's request fails, the server never gets the whole body.
            CallContext big = new CallContext();
            Val refused = sandbox.call(post, List.of(new Val.Str(url), new Val.Str("y".repeat(5000))), callPolicy, key -> null, big);
            assertFalse(((Val.ResultVal) refused).isOk(), refused.toString());
            assertEquals(List.of(Audit.Category.QUOTA), big.denials().stream().map(CallContext.Denial::category).toList());
            assertTrue(big.denials().getFirst().detail().contains("quota outbound_bytes (2048)"), big.denials().toString());
            assertTrue(big.outboundBytes() > 2048, "the refused frame is counted: " + big.outboundBytes());

            // Heads count too: the quota is spent after a few GETs, and the next one never connects.
            int before = hits.get();
            CallContext many = new CallContext();
            List<Val> urls = java.util.Collections.nCopies(40, new Val.Str(url + "?pad=" + "p".repeat(200))); // heads of ~250 bytes
            Val all = sandbox.call(sandbox.component().export("http-get-all"), List.of(new Val.ListVal(urls)), callPolicy, key -> null, many);
            assertFalse(((Val.ResultVal) all).isOk(), all.toString());
            int served = hits.get() - before;
            assertTrue(served > 0 && served < 9, "a few GETs fit in 2 KiB, not 40: " + served);
            assertTrue(many.outboundBytes() <= 2048 + 512, "no more than one head beyond the quota: " + many.outboundBytes());
        } finally {
            counting.stop(0);
        }
    }

    @Test
    void aCallReportsTheLinearMemoryItsInstanceHeld() throws Exception {
        CallContext context = new CallContext();
        Policy policy = PolicyParser.parse("version: \"1.0\"\n", "p.yaml");
        sandbox.call(sandbox.component().export("http-get"), List.of(new Val.Str("http://127.0.0.1:1/")),
                CallPolicy.of(policy, Path.of("").toAbsolutePath(), new Limits(Duration.ofSeconds(20), 1 << 20)), key -> null, context);
        // A componentize-js guest holds its JavaScript engine's heap: megabytes, in whole 64 KiB pages.
        assertTrue(context.memoryBytes() > 1 << 20, "memory held: " + context.memoryBytes());
        assertEquals(0, context.memoryBytes() % 65536, "whole pages: " + context.memoryBytes());
    }

    /** A policy allowing HTTP to 127.0.0.1:{@code port} with {@code quotas} (a YAML flow mapping). */
    private static Policy localhostWithQuotas(int port, String quotas) throws Exception {
        return PolicyParser.parse("""
                version: "1.0"
                permissions:
                  network:
                    allow:
                      - host: "http://127.0.0.1:%d"
                  resources:
                    quotas: %s
                """.formatted(port, quotas), "p.yaml");
    }

    @Test
    void defaultDenyReachesNothing() {
        int port = allowed.getAddress().getPort();
        List<String> denials = new ArrayList<>();
        Val v = get("http://127.0.0.1:" + port + "/", Policy.denyAll(), denials);
        assertFalse(((Val.ResultVal) v).isOk(), v.toString());
    }

    @Test
    void aCapabilityOutboundHostPortReachesThatPortAndNoOther() throws Exception {
        int port = allowed.getAddress().getPort();
        int otherPort = other.getAddress().getPort();
        int hitsBefore = hitsOnOther.get();
        List<String> denials = Collections.synchronizedList(new ArrayList<>());
        Policy policy = PolicyParser.parse("""
                capabilities:
                  network: { outbound: ["127.0.0.1:%d"] }
                """.formatted(port), "caps.yaml");

        assertEquals(Val.ResultVal.ok(new Val.Str("200 hello from the allowed host")), get("http://127.0.0.1:" + port + "/", policy, denials));
        Val deniedPort = get("http://127.0.0.1:" + otherPort + "/", policy, denials);
        assertFalse(((Val.ResultVal) deniedPort).isOk(), deniedPort.toString());
        assertEquals(hitsBefore, hitsOnOther.get(), "the server on the other port saw no request");
        assertEquals(List.of("HTTP http://127.0.0.1:" + otherPort + " denied: no network rule allows this host"), denials);
    }
}

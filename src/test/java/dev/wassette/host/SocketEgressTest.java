package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.policy.PolicyParser;
import dev.wassette.runtime.EgressCheck;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasiConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Raw wasi:sockets use from a Rust guest ({@code netprobe.wasm}) goes through the same egress hook. */
class SocketEgressTest {
    private static final String RUN = "wasi:cli/run@0.2.0#run";
    private static InstancePre netprobe;
    private static ServerSocket allowed;
    private static ServerSocket other;
    private static final AtomicInteger acceptedOnOther = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        try (Linker linker = new Linker(Fixtures.engine())) {
            netprobe = linker.addWasip2().instantiatePre(Fixtures.component("netprobe.wasm"));
        }
        allowed = pongServer(null);
        other = pongServer(acceptedOnOther);
    }

    private static ServerSocket pongServer(AtomicInteger accepted) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    if (accepted != null) {
                        accepted.incrementAndGet();
                    }
                    s.getInputStream().readNBytes(4);
                    s.getOutputStream().write("pong".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed
                }
            }
        });
        return server;
    }

    @AfterAll
    static void stop() throws IOException {
        allowed.close();
        other.close();
        netprobe.close();
    }

    /** Runs {@code netprobe args...}; returns its stdout, or throws TrapException(EXIT) when it exits non-zero. */
    private static String probe(EgressCheck egress, String... args) {
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        List<String> argv = new ArrayList<>(List.of("netprobe"));
        argv.addAll(List.of(args));
        WasiConfig wasi = new WasiConfig().args(argv).sockets(true, true).stdout(out::add);
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(wasi).egress(egress).timeout(Duration.ofSeconds(20)))) {
            try {
                Val result = netprobe.instantiate(store).call(RUN);
                assertEquals(Val.ResultVal.ok(null), result, String.join("\n", out));
            } finally {
                store.close(); // flushes the guest's stdout
            }
        }
        return String.join("\n", out);
    }

    @Test
    void connectToAllowedAddressWorksOthersAreDenied() throws Exception {
        int port = allowed.getLocalPort();
        List<String> denials = Collections.synchronizedList(new ArrayList<>());
        PolicyEgress egress = new PolicyEgress(PolicyParser.parse("""
                version: "1.0"
                permissions:
                  network:
                    allow:
                      - host: "127.0.0.1:%d"
                """.formatted(port), "p.yaml"), denials::add);
        assertEquals("connected 127.0.0.1:" + port + ": pong", probe(egress, "tcp", "127.0.0.1:" + port));

        int otherPort = other.getLocalPort();
        TrapException denied = org.junit.jupiter.api.Assertions.assertThrows(TrapException.class,
                () -> probe(egress, "tcp", "127.0.0.1:" + otherPort));
        assertEquals(TrapException.Kind.EXIT, denied.kind(), denied.getMessage());
        assertTrue(denied.getMessage().contains("exited with status 1"), denied.getMessage()); // wasi:cli/exit@0.2.0 carries ok/err only
        assertEquals(0, acceptedOnOther.get(), "the denied server saw no connection");
        assertTrue(denials.stream().anyMatch(d -> d.contains("TCP_CONNECT 127.0.0.1:" + otherPort)), denials.toString());

        org.junit.jupiter.api.Assertions.assertThrows(TrapException.class, () -> probe(egress, "udp", "127.0.0.1:" + otherPort));
        org.junit.jupiter.api.Assertions.assertThrows(TrapException.class, () -> probe(egress, "listen", "8089"));
        assertTrue(denials.stream().anyMatch(d -> d.contains("UDP_SEND")), denials.toString());
        assertTrue(denials.stream().anyMatch(d -> d.startsWith("TCP_BIND") || d.startsWith("TCP_LISTEN")), denials.toString());
    }

    @Test
    void withoutSocketsEnabledNothingConnects() {
        List<String> out = new ArrayList<>();
        WasiConfig wasi = new WasiConfig().args(List.of("netprobe", "tcp", "127.0.0.1:" + allowed.getLocalPort())).stdout(out::add);
        try (Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(wasi).egress((k, s, h, a, p) -> true))) {
            org.junit.jupiter.api.Assertions.assertThrows(TrapException.class, () -> netprobe.instantiate(store).call(RUN));
        }
    }
}

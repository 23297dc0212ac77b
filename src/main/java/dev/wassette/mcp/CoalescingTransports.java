package dev.wassette.mcp;

import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpServerTransportProviderBase;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Transport decorators that merge bursts of {@code notifications/tools/list_changed} into one: the
 * SDK notifies once per added or removed tool, and loading a component adds dozens at once.
 */
final class CoalescingTransports {
    static final Duration WINDOW = Duration.ofMillis(50);

    private CoalescingTransports() {}

    /** Sends list_changed at most once per {@link #WINDOW}, after the burst that caused it. */
    private static final class Debouncer {
        private final McpServerTransportProviderBase target;
        private final AtomicBoolean scheduled = new AtomicBoolean();

        Debouncer(McpServerTransportProviderBase target) {
            this.target = target;
        }

        Mono<Void> notifyClients(String method, Object params) {
            if (!McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED.equals(method)) {
                return target.notifyClients(method, params);
            }
            if (scheduled.compareAndSet(false, true)) {
                Mono.delay(WINDOW, Schedulers.parallel())
                        .then(Mono.defer(() -> {
                            scheduled.set(false);
                            return target.notifyClients(method, params);
                        }))
                        .onErrorResume(e -> Mono.empty())
                        .subscribe();
            }
            return Mono.empty();
        }
    }

    /** Everything but the session factory, which differs between the two transport kinds. */
    private abstract static class Delegating implements McpServerTransportProviderBase {
        private final McpServerTransportProviderBase target;
        private final Debouncer debouncer;

        Delegating(McpServerTransportProviderBase target) {
            this.target = target;
            this.debouncer = new Debouncer(target);
        }

        @Override
        public Mono<Void> notifyClients(String method, Object params) {
            return debouncer.notifyClients(method, params);
        }

        @Override
        public Mono<Void> notifyClient(String sessionId, String method, Object params) {
            return target.notifyClient(sessionId, method, params);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return target.closeGracefully();
        }

        @Override
        public void close() {
            target.close();
        }

        @Override
        public List<String> protocolVersions() {
            return target.protocolVersions();
        }
    }

    static McpServerTransportProvider of(McpServerTransportProvider target) {
        final class Single extends Delegating implements McpServerTransportProvider {
            Single() {
                super(target);
            }

            @Override
            public void setSessionFactory(McpServerSession.Factory factory) {
                target.setSessionFactory(factory);
            }
        }
        return new Single();
    }

    static McpStreamableServerTransportProvider of(McpStreamableServerTransportProvider target) {
        final class Streamable extends Delegating implements McpStreamableServerTransportProvider {
            Streamable() {
                super(target);
            }

            @Override
            public void setSessionFactory(McpStreamableServerSession.Factory factory) {
                target.setSessionFactory(factory);
            }
        }
        return new Streamable();
    }
}

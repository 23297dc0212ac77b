package dev.wassette.mcp;

import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerSession;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpServerTransportProviderBase;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Transport decorators that make {@code notifications/tools/list_changed} ours alone. The SDK sends
 * one per tool it adds or removes — dozens for one component, each a partial list to a client that
 * reacts — so those are dropped here, and the server sends exactly one per change through
 * {@link Sender#send}, synchronously: the notification of a {@code load-component} is on the wire
 * before that call's result.
 */
final class ToolListNotifications {
    private ToolListNotifications() {}

    /** Sends list_changed to every client now. */
    interface Sender {
        void send();
    }

    /** Everything but the session factory, which differs between the two transport kinds. */
    private abstract static class Delegating implements McpServerTransportProviderBase, Sender {
        private final McpServerTransportProviderBase target;

        Delegating(McpServerTransportProviderBase target) {
            this.target = target;
        }

        @Override
        public Mono<Void> notifyClients(String method, Object params) {
            if (McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED.equals(method)) {
                return Mono.empty();
            }
            return target.notifyClients(method, params);
        }

        @Override
        public void send() {
            target.notifyClients(McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED, null).onErrorResume(e -> Mono.empty()).block();
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

    static final class Single extends Delegating implements McpServerTransportProvider {
        private final McpServerTransportProvider target;

        Single(McpServerTransportProvider target) {
            super(target);
            this.target = target;
        }

        @Override
        public void setSessionFactory(McpServerSession.Factory factory) {
            target.setSessionFactory(factory);
        }
    }

    static final class Streamable extends Delegating implements McpStreamableServerTransportProvider {
        private final McpStreamableServerTransportProvider target;

        Streamable(McpStreamableServerTransportProvider target) {
            super(target);
            this.target = target;
        }

        @Override
        public void setSessionFactory(McpStreamableServerSession.Factory factory) {
            target.setSessionFactory(factory);
        }
    }
}

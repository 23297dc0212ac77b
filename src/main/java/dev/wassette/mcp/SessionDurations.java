package dev.wassette.mcp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each open MCP session began, so that its duration ({@code mcp.server.session.duration}) is
 * recorded when it ends. Sessions are keyed as the server's calls in flight are: the stream
 * connection's name, or {@code http/<Mcp-Session-Id>}. Holds nothing when metrics are off.
 */
final class SessionDurations {
    private record Started(String transport, long nanos) {}

    private final ServerMetrics metrics;
    private final Map<String, Started> open = new ConcurrentHashMap<>();

    SessionDurations(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    /** A session began now; {@code transport} as {@link ServerMetrics#sessionEnded} names it. */
    void started(String key, String transport) {
        if (metrics.enabled()) {
            open.putIfAbsent(key, new Started(transport, System.nanoTime()));
        }
    }

    /** A session ended now; one not started here (or already ended) is ignored. */
    void ended(String key) {
        Started started = open.remove(key);
        if (started != null) {
            metrics.sessionEnded(started.transport(), System.nanoTime() - started.nanos());
        }
    }

    /** The server stops: every session still open ends now. */
    void endAll() {
        open.keySet().forEach(this::ended);
    }
}

package dev.wassette.mcp;

import java.time.Duration;

/**
 * What one client of {@code wassette serve} can hold, so that none can starve the others: each limit
 * hit is refused with a clear JSON-RPC error (or, for connections, by not accepting more until one
 * closes), never by failing the server.
 *
 * @param maxSessions           MCP sessions open at once; one more {@code initialize} gets HTTP 503
 * @param maxRequestsPerSession requests of one session in flight at once; one more gets HTTP 429
 * @param sessionIdleTimeout    a session without requests (and without an open event stream) this
 *                              long is closed (within twice this); its client must initialize again
 * @param maxConnections        TCP connections open at once; more wait in the accept backlog
 * @param connectionIdleTimeout a connection with nothing read or written this long is closed: a
 *                              slow-loris client, a client that stopped reading its event stream
 */
public record HttpLimits(int maxSessions, int maxRequestsPerSession, Duration sessionIdleTimeout, int maxConnections,
                         Duration connectionIdleTimeout) {
    /** The defaults of {@code wassette serve}. */
    public static final HttpLimits DEFAULTS = new HttpLimits(256, 64, Duration.ofMinutes(30), 1024, Duration.ofSeconds(30));

    public HttpLimits {
        if (maxSessions < 1 || maxRequestsPerSession < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("HTTP limits must be at least 1");
        }
        if (sessionIdleTimeout.isNegative() || sessionIdleTimeout.isZero() || connectionIdleTimeout.isNegative() || connectionIdleTimeout.isZero()) {
            throw new IllegalArgumentException("HTTP idle timeouts must be positive");
        }
    }
}

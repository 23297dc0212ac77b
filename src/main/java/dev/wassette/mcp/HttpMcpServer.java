package dev.wassette.mcp;

import dev.wassette.host.ComponentHost;
import io.modelcontextprotocol.common.McpTransportContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Streamable HTTP on embedded Jetty: MCP at {@code /mcp}, beside the {@link OperatorEndpoints}
 * ({@code /health}, {@code /ready}, {@code /metrics}, {@code /info}). A request whose {@code Host}
 * header names a host outside the allow list is answered 403 before anything else sees it
 * (DNS-rebinding defence).
 */
public final class HttpMcpServer implements AutoCloseable {
    public static final int MAX_REQUEST_BYTES = 4 << 20;
    /** How often a session with its event stream open is pinged (a failed ping releases the stream). */
    private static final java.time.Duration SESSION_KEEP_ALIVE = java.time.Duration.ofMinutes(30);

    private final Server jetty;
    private final WassetteMcpServer mcp;
    private final ServerConnector connector;
    /** The sessions' transport; null when stateless. */
    private final StreamableHttpTransport streamable;

    private HttpMcpServer(Server jetty, ServerConnector connector, WassetteMcpServer mcp, StreamableHttpTransport streamable) {
        this.jetty = jetty;
        this.connector = connector;
        this.mcp = mcp;
        this.streamable = streamable;
    }

    /** Starts serving on {@code bind} ({@code host:port}; port 0 picks a free one), following the component store. */
    public static HttpMcpServer start(ComponentHost host, boolean builtinTools, String bind, List<String> allowedHosts) throws Exception {
        return start(host, Options.of(bind, allowedHosts).withBuiltinTools(builtinTools));
    }

    /**
     * Starts serving on {@code bind}. With {@code followStore}, the stored components are served and
     * changes other processes make to the store are followed; without, exactly the components the
     * host has loaded now are served (a provisioned, read-only server).
     */
    public static HttpMcpServer start(ComponentHost host, boolean builtinTools, boolean followStore, String bind, List<String> allowedHosts)
            throws Exception {
        return start(host, Options.of(bind, allowedHosts).withBuiltinTools(builtinTools).withFollowStore(followStore));
    }

    /**
     * How a server is started: {@link #of} the address and the allowed hosts, then with* to change
     * the rest.
     *
     * @param builtinTools whether the management tools are served
     * @param followStore  serve the stored components and follow changes to the store; false: exactly
     *                     the components the host has loaded now (a provisioned, read-only server)
     * @param bind         {@code host:port}; port 0 picks a free one
     * @param allowedHosts the Host header values accepted (DNS-rebinding defence)
     * @param telemetry    where spans and metrics are exported over OTLP (null: nowhere); metrics are
     *                     always recorded, for {@code /metrics}
     * @param stateless    answer every request on its own with JSON and no session
     *                     ({@link WassetteMcpServer#statelessHttp}), so replicas behind a load
     *                     balancer can share clients
     * @param limits       what one client can hold
     */
    public record Options(boolean builtinTools, boolean followStore, String bind, List<String> allowedHosts,
                          WassetteMcpServer.Telemetry telemetry, boolean stateless, HttpLimits limits) {
        /** Built-in tools on, following the store, no OTLP export, sessions, the default limits. */
        public static Options of(String bind, List<String> allowedHosts) {
            return new Options(true, true, bind, allowedHosts, null, false, HttpLimits.DEFAULTS);
        }

        public Options withBuiltinTools(boolean on) {
            return new Options(on, followStore, bind, allowedHosts, telemetry, stateless, limits);
        }

        public Options withFollowStore(boolean on) {
            return new Options(builtinTools, on, bind, allowedHosts, telemetry, stateless, limits);
        }

        public Options withTelemetry(WassetteMcpServer.Telemetry exported) {
            return new Options(builtinTools, followStore, bind, allowedHosts, exported, stateless, limits);
        }

        public Options withStateless(boolean on) {
            return new Options(builtinTools, followStore, bind, allowedHosts, telemetry, on, limits);
        }

        public Options withLimits(HttpLimits chosen) {
            return new Options(builtinTools, followStore, bind, allowedHosts, telemetry, stateless, chosen);
        }
    }

    /** Starts serving as {@code options} say. */
    public static HttpMcpServer start(ComponentHost host, Options options) throws Exception {
        tellJettyTheReferenceSize();
        String bind = options.bind();
        List<String> allowedHosts = options.allowedHosts();
        boolean builtinTools = options.builtinTools();
        boolean followStore = options.followStore();
        boolean stateless = options.stateless();
        WassetteMcpServer.Telemetry telemetry = options.telemetry();
        HttpLimits limits = options.limits();
        Server jetty = new Server();
        ServerConnector connector = connector(jetty, bind); // a bad address fails before anything starts
        connector.setIdleTimeout(limits.connectionIdleTimeout().toMillis());
        jetty.addConnector(connector);
        jetty.addBean(new org.eclipse.jetty.server.NetworkConnectionLimit(limits.maxConnections(), connector));
        WassetteMcpServer mcp = new WassetteMcpServer(host, builtinTools, telemetry == null ? new WassetteMcpServer.Telemetry(true, null, null)
                : new WassetteMcpServer.Telemetry(true, telemetry.tracesUrl(), telemetry.metricsUrl()));
        jakarta.servlet.http.HttpServlet transport;
        // First, so the first tools/list has the stored components' tools.
        Thread loading = followStore ? mcp.loadStoredComponents() : null;
        if (stateless) {
            StatelessHttpTransport t = new StatelessHttpTransport(mcp.jsonMapper(), MAX_REQUEST_BYTES, HttpMcpServer::traceContext);
            mcp.statelessHttp(t);
            transport = t;
        } else {
            StreamableHttpTransport t = new StreamableHttpTransport(mcp.jsonMapper(), MAX_REQUEST_BYTES, HttpMcpServer::traceContext,
                    limits.sessionIdleTimeout(), SESSION_KEEP_ALIVE);
            mcp.streamable(t);
            transport = t;
        }

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder mcpServlet = new ServletHolder(transport);
        mcpServlet.setAsyncSupported(true);
        context.addServlet(mcpServlet, "/mcp");
        OperatorEndpoints.addTo(context, mcp, () -> loading == null || !loading.isAlive());
        FilterHolder hostCheck = new FilterHolder(hostFilter(allowedHosts));
        hostCheck.setAsyncSupported(true);
        context.addFilter(hostCheck, "/*", EnumSet.of(DispatcherType.REQUEST));
        FilterHolder jsonRpc = new FilterHolder(new JsonRpcHttpFilter(MAX_REQUEST_BYTES, mcp::knowsTool, mcp.calls(),
                new HttpSessions(limits, mcp.sessions()), limits));
        jsonRpc.setAsyncSupported(true);
        context.addFilter(jsonRpc, "/mcp", EnumSet.of(DispatcherType.REQUEST));
        jetty.setHandler(context);
        try {
            jetty.start();
        } catch (Exception e) {
            mcp.close(); // stops the store watcher too
            throw e;
        }
        return new HttpMcpServer(jetty, connector, mcp, transport instanceof StreamableHttpTransport t ? t : null);
    }

    private static final String REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";

    /**
     * Jetty pads its queues by how many object references fill a cache line and, unless told, finds
     * out whether references are compressed by starting the platform MBean server, which registers
     * every platform MBean: ~130 ms of CPU in {@code serve}'s start, 200 ms in a cold JVM. Told here, as
     * HotSpot decides by default (compressed below 32 GiB of heap); a wrong guess costs only padding.
     */
    private static void tellJettyTheReferenceSize() {
        if (System.getProperty(REFERENCES_PER_CACHE_LINE) == null) {
            int cacheLine = Integer.getInteger("org.eclipse.jetty.util.cacheLineBytes", 64);
            boolean compressed = Runtime.getRuntime().maxMemory() < (32L << 30);
            System.setProperty(REFERENCES_PER_CACHE_LINE, Integer.toString(Math.max(1, cacheLine / (compressed ? 4 : 8))));
        }
    }

    /**
     * Rejects with 403 requests whose Host header (port ignored) is not in the list, and browser
     * requests whose Origin names another host.
     */
    static Filter hostFilter(List<String> allowed) {
        Set<String> hosts = allowed.stream().map(HttpMcpServer::hostOnly).collect(Collectors.toUnmodifiableSet());
        return (request, response, chain) -> {
            HttpServletRequest http = (HttpServletRequest) request;
            String header = http.getHeader("Host");
            String origin = http.getHeader("Origin");
            boolean originAllowed = origin == null || originHost(origin) != null && hosts.contains(originHost(origin));
            if (header == null || !hosts.contains(hostOnly(header)) || !originAllowed) {
                HttpServletResponse res = (HttpServletResponse) response;
                res.setStatus(403);
                res.setContentType("application/json");
                res.getWriter().write("{\"error\":\"host not allowed\"}");
                return;
            }
            chain.doFilter(request, response);
        };
    }

    /** The host of an {@code Origin} header ({@code http://localhost:3000} → {@code localhost}), or null. */
    static String originHost(String origin) {
        try {
            java.net.URI uri = java.net.URI.create(origin.strip());
            return uri.getHost() == null ? null : hostOnly(uri.getHost().contains(":") && !uri.getHost().startsWith("[") ? "[" + uri.getHost() + "]" : uri.getHost());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code example.com:8080} → {@code example.com}; {@code [::1]:9001} → {@code [::1]}; lower-cased. */
    static String hostOnly(String hostHeader) {
        String h = hostHeader.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close > 0 ? h.substring(0, close + 1) : h;
        }
        int colon = h.indexOf(':');
        return colon >= 0 && colon == h.lastIndexOf(':') ? h.substring(0, colon) : h;
    }

    /** A request's W3C trace-context headers, for the span of a tool call it makes (when {@code _meta} has none). */
    private static McpTransportContext traceContext(HttpServletRequest request) {
        String traceparent = request.getHeader(ServerTracing.TRACEPARENT);
        if (traceparent == null) {
            return McpTransportContext.EMPTY;
        }
        String tracestate = request.getHeader(ServerTracing.TRACESTATE);
        return McpTransportContext.create(tracestate == null ? Map.of(ServerTracing.TRACEPARENT, traceparent)
                : Map.of(ServerTracing.TRACEPARENT, traceparent, ServerTracing.TRACESTATE, tracestate));
    }

    /** A connector for {@code bind}, {@code host:port} (IPv6 in brackets; port 0 picks a free one). */
    static ServerConnector connector(Server jetty, String bind) {
        int colon = bind.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("bind address must be HOST:PORT, got \"" + bind + "\"");
        }
        int port;
        try {
            port = Integer.parseInt(bind.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bind address must be HOST:PORT, got \"" + bind + "\"");
        }
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost(bind.substring(0, colon).replace("[", "").replace("]", ""));
        connector.setPort(port);
        return connector;
    }

    /** Whether the transport holds session {@code id} (for tests). */
    boolean sessionOpen(String id) {
        return streamable != null && streamable.holds(id);
    }

    /** Tool calls in flight (for tests). */
    InFlightCalls calls() {
        return mcp.calls();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost() == null ? "0.0.0.0" : connector.getHost(), connector.getLocalPort());
    }

    public void join() throws InterruptedException {
        jetty.join();
    }

    @Override
    public void close() throws Exception {
        mcp.close();
        jetty.stop();
    }
}

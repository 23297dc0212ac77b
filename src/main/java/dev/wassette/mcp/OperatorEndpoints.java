package dev.wassette.mcp;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * What an operator's tools read: liveness at {@code /health}, readiness (stored components loaded)
 * at {@code /ready}, metrics in the Prometheus text format at {@code /metrics} and versions, uptime
 * and the components served at {@code /info}. Beside {@code /mcp} on {@code wassette serve}; on an
 * address of their own ({@link #start}) for a server whose MCP is not HTTP (stdio, the daemon). Both
 * behind the same Host guard as {@code /mcp}.
 */
public final class OperatorEndpoints implements AutoCloseable {
    private final Server jetty;
    private final ServerConnector connector;

    private OperatorEndpoints(Server jetty, ServerConnector connector) {
        this.jetty = jetty;
        this.connector = connector;
    }

    /** Adds the endpoints to {@code context}; {@code /metrics} only if {@code mcp} keeps metrics to scrape. */
    static void addTo(ServletContextHandler context, WassetteMcpServer mcp, BooleanSupplier ready) {
        context.addServlet(new ServletHolder(new StatusServlet(() -> true)), "/health");
        context.addServlet(new ServletHolder(new StatusServlet(ready)), "/ready");
        context.addServlet(new ServletHolder(new BodyServlet("application/json",
                res -> mcp.objectMapper().writeValue(res.getOutputStream(), mcp.info()))), "/info");
        if (mcp.metrics().scrapes()) {
            // The Prometheus text format (0.0.4), which every Prometheus-compatible scraper reads.
            context.addServlet(new ServletHolder(new BodyServlet("text/plain; version=0.0.4; charset=utf-8",
                    res -> res.getWriter().write(mcp.scrapeMetrics()))), "/metrics");
        }
    }

    /**
     * Serves the endpoints of {@code mcp} on {@code bind} ({@code host:port}; port 0 picks a free one).
     *
     * @param allowedHosts the {@code Host} header values accepted (DNS-rebinding defence)
     * @param ready whether the stored components are loaded
     */
    public static OperatorEndpoints start(WassetteMcpServer mcp, String bind, List<String> allowedHosts, BooleanSupplier ready)
            throws Exception {
        Server jetty = new Server();
        ServerConnector connector = HttpMcpServer.connector(jetty, bind);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        addTo(context, mcp, ready);
        context.addFilter(new FilterHolder(HttpMcpServer.hostFilter(allowedHosts)), "/*", EnumSet.of(DispatcherType.REQUEST));
        jetty.setHandler(context);
        jetty.start();
        return new OperatorEndpoints(jetty, connector);
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(connector.getHost() == null ? "0.0.0.0" : connector.getHost(), connector.getLocalPort());
    }

    @Override
    public void close() throws Exception {
        jetty.stop();
    }

    /** 200 {@code {"status":"ok"}} while the condition holds, else 503. */
    private static final class StatusServlet extends HttpServlet {
        private final BooleanSupplier ok;

        StatusServlet(BooleanSupplier ok) {
            this.ok = ok;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
            boolean up = ok.getAsBoolean();
            res.setStatus(up ? 200 : 503);
            res.setContentType("application/json");
            res.getWriter().write(up ? "{\"status\":\"ok\"}" : "{\"status\":\"starting\"}");
        }
    }

    /** Answers GET with 200 and a body of {@code contentType} that {@code body} writes. */
    private static final class BodyServlet extends HttpServlet {
        @FunctionalInterface
        interface Body {
            void write(HttpServletResponse res) throws IOException;
        }

        private final String contentType;
        private final Body body;

        BodyServlet(String contentType, Body body) {
            this.contentType = contentType;
            this.body = body;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
            res.setStatus(200);
            res.setContentType(contentType);
            body.write(res);
        }
    }
}

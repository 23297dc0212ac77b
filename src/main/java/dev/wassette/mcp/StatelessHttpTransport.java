package dev.wassette.mcp;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Stateless streamable HTTP on the SDK's stateless server: every POST is answered on its own with
 * one JSON body (a notification with 202), no session, no GET stream. In place of the SDK's servlet,
 * which flushes the answer before the request ends (a second write for the chunked ending) and
 * parses the message again after the request filter did.
 */
final class StatelessHttpTransport extends HttpServlet implements McpStatelessServerTransport {
    private static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    private final McpJsonMapper jsonMapper;
    private final int maxRequestBytes;
    private final McpTransportContextExtractor<HttpServletRequest> contextExtractor;
    private volatile McpStatelessServerHandler handler;
    private volatile boolean closing;

    StatelessHttpTransport(McpJsonMapper jsonMapper, int maxRequestBytes, McpTransportContextExtractor<HttpServletRequest> contextExtractor) {
        this.jsonMapper = jsonMapper;
        this.maxRequestBytes = maxRequestBytes;
        this.contextExtractor = contextExtractor;
    }

    @Override
    public void setMcpHandler(McpStatelessServerHandler handler) {
        this.handler = handler;
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(() -> closing = true);
    }

    @Override
    public List<String> protocolVersions() {
        return StreamableHttpTransport.PROTOCOL_VERSIONS;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpMessages.error(response, 405, null, -32600, "this server is stateless: it has no event stream to GET");
    }

    @Override
    protected void doDelete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpMessages.error(response, 405, null, -32600, "this server is stateless: it has no session to DELETE");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpMessages.Posted posted = HttpMessages.read(request, response, closing, maxRequestBytes, jsonMapper);
        if (posted == null) {
            return;
        }
        if (!posted.missingAccept().isEmpty()) {
            HttpMessages.error(response, 400, posted.id(), -32600, String.join("; ", posted.missingAccept()));
            return;
        }
        McpTransportContext context = contextExtractor.extract(request);
        switch (posted.message()) {
            case McpSchema.JSONRPCRequest r -> {
                McpSchema.JSONRPCResponse answer;
                try {
                    answer = handler.handleRequest(context, r).contextWrite(c -> c.put(McpTransportContext.KEY, context)).block();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "stateless request {0} failed: {1}", r.id(), e.getMessage());
                    HttpMessages.error(response, 500, posted.id(), -32603, "Failed to handle request: " + e.getMessage());
                    return;
                }
                HttpMessages.writeJson(response, 200, jsonMapper.writeValueAsBytes(answer));
            }
            case McpSchema.JSONRPCNotification n -> {
                handler.handleNotification(context, n).contextWrite(c -> c.put(McpTransportContext.KEY, context)).onErrorResume(e -> {
                    LOG.log(System.Logger.Level.DEBUG, "stateless notification {0} failed: {1}", n.method(), e.getMessage());
                    return Mono.empty();
                }).block();
                response.setStatus(202);
            }
            default -> HttpMessages.error(response, 400, posted.id(), -32600, "The server accepts either requests or notifications");
        }
    }
}

package dev.wassette.mcp;

import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * A tool and its call, whichever kind of server serves it: one with sessions (stdio, the daemon,
 * streamable HTTP), whose calls come with an exchange to notify the client through, or a stateless
 * one (any replica answers any request), whose calls come with their transport context only.
 */
record ServedTool(McpSchema.Tool tool, Call call) {
    /** A call; {@code exchange} is null on a stateless server (no progress notifications then). */
    @FunctionalInterface
    interface Call {
        McpSchema.CallToolResult call(McpSyncServerExchange exchange, McpTransportContext context, McpSchema.CallToolRequest request);
    }

    McpServerFeatures.SyncToolSpecification withSessions() {
        return new McpServerFeatures.SyncToolSpecification(tool, (exchange, request) -> call.call(exchange, exchange.transportContext(), request));
    }

    McpStatelessServerFeatures.SyncToolSpecification stateless() {
        return new McpStatelessServerFeatures.SyncToolSpecification(tool, (context, request) -> call.call(null, context, request));
    }
}

package dev.wassette.mcp;

import dev.wassette.host.CallContext;
import io.modelcontextprotocol.common.McpTransportContext;
import java.util.Map;

/**
 * Where a server traces its tool calls: a span {@code tools/call {tool}} per call, with child spans
 * for the component's instantiation and execution, continuing the client's trace when the request
 * carries one. This base traces nothing and costs nothing — no OpenTelemetry class is loaded;
 * {@link OtelTracing} exports spans over OTLP when an endpoint is configured.
 */
class ServerTracing {
    /** Where the client's trace context is looked for: {@code params._meta}, then the HTTP headers (kept in the transport context). */
    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";

    static final ServerTracing OFF = new ServerTracing();

    ServerTracing() {}

    /** One call's span. */
    interface CallSpan {
        /** The trace id (32 hex digits) for the call's log lines, or null when not traced. */
        String traceId();

        /**
         * Ends the span: failed when {@code errorType} is not null; with the phases {@code call}
         * recorded (null for a built-in tool, which has none).
         */
        void end(String errorType, CallContext call);
    }

    static final CallSpan NONE = new CallSpan() {
        @Override
        public String traceId() {
            return null;
        }

        @Override
        public void end(String errorType, CallContext call) {}
    };

    /**
     * Starts the span of a call of {@code toolName} ({@code componentId} null for a built-in tool),
     * under the trace context in {@code meta} or else {@code transport}.
     */
    CallSpan startCall(String toolName, String componentId, Map<String, Object> meta, McpTransportContext transport) {
        return NONE;
    }

    /** Exports what is pending and stops. */
    void close() {}
}

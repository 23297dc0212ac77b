package dev.wassette.mcp;

import dev.wassette.host.CallContext;
import io.modelcontextprotocol.common.McpTransportContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Tool-call spans exported over OTLP/HTTP (protobuf) in batches, named and attributed as the
 * OpenTelemetry semantic conventions for MCP say: {@code tools/call {tool}}, kind server, with
 * {@code mcp.method.name}, {@code gen_ai.tool.name}, {@code gen_ai.operation.name} and
 * {@code error.type}, plus {@code wassette.component.id}; children {@code instantiate} and
 * {@code execute} from the phases the sandbox timed. The parent is the W3C trace context in the
 * request's {@code params._meta} ({@code traceparent}, {@code tracestate}), else in its HTTP headers.
 */
final class OtelTracing extends ServerTracing {
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("mcp.method.name");
    private static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("wassette.component.id");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** Reads the trace context from a {@code _meta} map or a transport context's values. */
    private static final TextMapGetter<Map<String, ?>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, ?> carrier) {
            return List.of(TRACEPARENT, TRACESTATE);
        }

        @Override
        public String get(Map<String, ?> carrier, String key) {
            return carrier != null && carrier.get(key) instanceof String s ? s : null;
        }
    };

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    /**
     * @param tracesUrl the OTLP/HTTP traces URL ({@code …/v1/traces})
     * @param version this server's version, as {@code service.version}
     */
    OtelTracing(String tracesUrl, String version) {
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl).build();
        provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), WassetteMcpServer.NAME,
                        AttributeKey.stringKey("service.version"), version))))
                // A second's delay: spans reach the collector promptly, in batches, off the calls' threads.
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofSeconds(1)).build())
                .build();
        tracer = provider.get("dev.wassette");
    }

    @Override
    CallSpan startCall(String toolName, String componentId, Map<String, Object> meta, McpTransportContext transport) {
        Context parent;
        if (meta != null && meta.get(TRACEPARENT) instanceof String) {
            parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), meta, FROM_MAP);
        } else if (transport != null && transport.get(TRACEPARENT) instanceof String traceparent) {
            Object tracestate = transport.get(TRACESTATE);
            Map<String, String> headers = tracestate instanceof String ts ? Map.of(TRACEPARENT, traceparent, TRACESTATE, ts) : Map.of(TRACEPARENT, traceparent);
            parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, FROM_MAP);
        } else {
            parent = Context.root();
        }
        long startEpochNanos = epochNanos();
        long startNanoTime = System.nanoTime();
        var builder = tracer.spanBuilder("tools/call " + toolName).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAttribute(METHOD, "tools/call").setAttribute(TOOL, toolName).setAttribute(OPERATION, "execute_tool");
        if (componentId != null) {
            builder.setAttribute(COMPONENT, componentId);
        }
        Span span = builder.startSpan();
        return new CallSpan() {
            @Override
            public String traceId() {
                return span.getSpanContext().getTraceId();
            }

            @Override
            public void end(String errorType, CallContext call) {
                Context context = parent.with(span);
                if (call != null && call.startedNanos() != 0) {
                    long instantiateStart = startEpochNanos + (call.startedNanos() - startNanoTime);
                    phase("instantiate", context, instantiateStart, call.instantiateNanos());
                    if (call.executeNanos() > 0) {
                        phase("execute", context, instantiateStart + call.instantiateNanos(), call.executeNanos());
                    }
                }
                if (errorType != null) {
                    span.setAttribute(ERROR_TYPE, errorType);
                    span.setStatus(StatusCode.ERROR);
                }
                span.end(startEpochNanos + (System.nanoTime() - startNanoTime), TimeUnit.NANOSECONDS);
            }
        };
    }

    private void phase(String name, Context parent, long startEpochNanos, long nanos) {
        tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS).startSpan()
                .end(startEpochNanos + nanos, TimeUnit.NANOSECONDS);
    }

    private static long epochNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    void close() {
        provider.shutdown().join(10, TimeUnit.SECONDS);
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.LogFields;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans and metrics of tool calls exported over OTLP/HTTP to a collector (here one that decodes the
 * protobuf requests): the spans' names and attributes, the client's trace continued from
 * {@code _meta} or from the HTTP headers, the children of each phase, failures marked, the trace id
 * in the invocation log; the metrics by the same names as at {@code /metrics}.
 */
class OtlpExportTest {
    private static final String ADD = "wassette_fixtures_types_0_1_0_add";
    private static final String TRACE_META = "0af7651916cd43dd8448eb211c80319c";
    private static final String TRACE_DENIED = "0af7651916cd43dd8448eb211c80319d";
    private static final String PARENT_META = "b7ad6b7169203331";
    private static final String TRACE_HEADER = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT_HEADER = "00f067aa0ba902b7";

    @TempDir
    Path dir;

    @Test
    void toolCallsAreTracedUnderTheClientsTraceAndTheirMetricsPushedOverOtlp() throws Exception {
        List<Span> spans = new CopyOnWriteArrayList<>();
        List<Metric> metrics = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receive(collector, "/v1/traces", body -> spans.addAll(ExportTraceServiceRequest.parseFrom(body).getResourceSpansList().stream()
                .flatMap(r -> r.getScopeSpansList().stream()).flatMap(s -> s.getSpansList().stream()).toList()));
        receive(collector, "/v1/metrics", body -> metrics.addAll(ExportMetricsServiceRequest.parseFrom(body).getResourceMetricsList().stream()
                .flatMap(r -> r.getScopeMetricsList().stream()).flatMap(s -> s.getMetricsList().stream()).toList()));
        collector.start();
        List<LogRecord> invocations = new CopyOnWriteArrayList<>();
        Logger invocationLog = Logger.getLogger("dev.wassette.invocation");
        Logger auditLog = Logger.getLogger("dev.wassette.audit");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                invocations.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        invocationLog.addHandler(capture);
        auditLog.addHandler(capture);
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("components"))
                .secretsDir(dir.resolve("secrets")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build())) {
            WassetteMcpServer.Telemetry otlp = WassetteMcpServer.Telemetry.of(false, "http://127.0.0.1:" + collector.getAddress().getPort() + "/", Map.of());
            assertEquals("http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces", otlp.tracesUrl());
            assertEquals("http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/metrics", otlp.metricsUrl());
            try (HttpMcpServer server = HttpMcpServer.start(host, HttpMcpServer.Options.of("127.0.0.1:0", List.of("127.0.0.1")).withTelemetry(otlp))) {
                String base = "http://127.0.0.1:" + server.address().getPort();
                // This client's every request carries a traceparent header.
                HttpRequest.Builder withHeader = HttpRequest.newBuilder().header("traceparent", "00-" + TRACE_HEADER + "-" + PARENT_HEADER + "-01");
                try (McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp").requestBuilder(withHeader).build())
                        .requestTimeout(Duration.ofSeconds(60)).build()) {
                    client.initialize();
                    assertFalse(client.callTool(new McpSchema.CallToolRequest("load-component",
                            Map.of("path", Fixtures.path("types.wasm").toUri().toString()))).isError());
                    // _meta wins over the header
                    McpSchema.CallToolResult add = client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 1, "b", 2),
                            Map.of("traceparent", "00-" + TRACE_META + "-" + PARENT_META + "-01", "tracestate", "vendor=1")));
                    assertEquals(Map.of("result", 3), add.structuredContent());
                    assertEquals(Map.of("result", 9), client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 4, "b", 5))).structuredContent());
                    assertTrue(client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", "not a number", "b", 2))).isError());
                    // A denial in a traced call: its audit line carries the trace id too.
                    assertFalse(client.callTool(new McpSchema.CallToolRequest("grant-quota", Map.of("component_id", "types",
                            "details", Map.of("quota", "calls_per_minute", "value", 1)))).isError());
                    Map<String, Object> denyMeta = Map.of("traceparent", "00-" + TRACE_DENIED + "-" + PARENT_META + "-01");
                    assertFalse(client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 1, "b", 1), denyMeta)).isError());
                    assertTrue(client.callTool(new McpSchema.CallToolRequest(ADD, Map.of("a", 1, "b", 1), denyMeta)).isError());
                }
                InvocationLog.flush(Duration.ofSeconds(10));
            } // closing the server exports what is pending: spans, and the metrics pushed at close
        } finally {
            invocationLog.removeHandler(capture);
            auditLog.removeHandler(capture);
            collector.stop(0);
        }

        List<Span> calls = spans.stream().filter(s -> s.getName().equals("tools/call " + ADD)).toList();
        assertEquals(5, calls.size(), spans::toString);
        Span underMeta = calls.stream().filter(s -> hex(s.getTraceId()).equals(TRACE_META)).findFirst().orElseThrow(() -> new AssertionError(spans));
        assertEquals(PARENT_META, hex(underMeta.getParentSpanId()));
        assertEquals("vendor=1", underMeta.getTraceState());
        assertEquals(Span.SpanKind.SPAN_KIND_SERVER, underMeta.getKind());
        assertEquals(Map.of("mcp.method.name", "tools/call", "gen_ai.tool.name", ADD, "gen_ai.operation.name", "execute_tool",
                "wassette.component.id", "types"), attributes(underMeta));
        assertEquals(Status.StatusCode.STATUS_CODE_UNSET, underMeta.getStatus().getCode());

        // The phases are its children, in order, within it.
        Span instantiate = child(spans, underMeta, "instantiate");
        Span execute = child(spans, underMeta, "execute");
        assertTrue(underMeta.getStartTimeUnixNano() <= instantiate.getStartTimeUnixNano(), spans::toString);
        assertTrue(instantiate.getEndTimeUnixNano() <= execute.getStartTimeUnixNano(), spans::toString);
        assertTrue(execute.getEndTimeUnixNano() <= underMeta.getEndTimeUnixNano(), spans::toString);

        // Without _meta, the HTTP header's trace; the failed call is marked with its error type, and has no phases.
        List<Span> underHeader = calls.stream().filter(s -> hex(s.getTraceId()).equals(TRACE_HEADER)).toList();
        assertEquals(2, underHeader.size(), spans::toString);
        underHeader.forEach(s -> assertEquals(PARENT_HEADER, hex(s.getParentSpanId())));
        Span failed = underHeader.stream().filter(s -> s.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR).findFirst().orElseThrow(() -> new AssertionError(spans));
        assertEquals("invalid-arguments", attributes(failed).get("error.type"));
        assertTrue(spans.stream().noneMatch(s -> s.getParentSpanId().equals(failed.getSpanId())), "a call that never reached the component has no phases");
        // Built-in tools are traced too.
        assertEquals(1, spans.stream().filter(s -> s.getName().equals("tools/call load-component")).count(), spans::toString);

        // The metrics, by the names /metrics has: the four successful calls of add (load-component is a
        // built-in), the one with bad arguments and the one refused by the quota.
        Metric operation = metrics.stream().filter(m -> m.getName().equals("mcp.server.operation.duration")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError(metrics.stream().map(Metric::getName).distinct().toList()));
        long addCalls = operation.getHistogram().getDataPointsList().stream()
                .filter(p -> p.getAttributesList().stream().anyMatch(kv -> kv.getKey().equals("gen_ai.tool.name") && kv.getValue().getStringValue().equals(ADD)))
                .mapToLong(io.opentelemetry.proto.metrics.v1.HistogramDataPoint::getCount).sum();
        assertEquals(5, addCalls, operation::toString);
        assertTrue(metrics.stream().anyMatch(m -> m.getName().equals("wassette.component.execution.duration")), metrics::toString);

        // The invocation log line of a traced call carries its trace id.
        LogRecord line = invocations.stream().filter(r -> r.getMessage().contains("trace=" + TRACE_META)).findFirst()
                .orElseThrow(() -> new AssertionError(invocations.stream().map(LogRecord::getMessage).toList()));
        assertEquals(TRACE_META, LogFields.of(line).fields().path("trace_id").asText());
        // So does the audit line of the quota's denial, with its fields for the JSON log format.
        LogRecord denial = invocations.stream().filter(r -> r.getLoggerName().equals("dev.wassette.audit")).findFirst()
                .orElseThrow(() -> new AssertionError(invocations.stream().map(LogRecord::getMessage).toList()));
        assertTrue(denial.getMessage().startsWith("denied component=types function=") && denial.getMessage().endsWith(" trace=" + TRACE_DENIED),
                denial.getMessage());
        var fields = LogFields.of(denial).fields();
        assertEquals(List.of("denied", "types", "quota", TRACE_DENIED), List.of(fields.path("event").asText(), fields.path("component").asText(),
                fields.path("category").asText(), fields.path("trace_id").asText()), fields.toString());
    }

    private interface Receiver {
        void accept(byte[] body) throws java.io.IOException;
    }

    /** The collector's side of OTLP/HTTP at {@code path}: each request's protobuf body to {@code receiver}, then 200. */
    private static void receive(HttpServer collector, String path, Receiver receiver) {
        collector.createContext(path, exchange -> {
            receiver.accept(exchange.getRequestBody().readAllBytes());
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, 0);
            exchange.close();
        });
    }

    private static Span child(List<Span> spans, Span parent, String name) {
        return spans.stream().filter(s -> s.getName().equals(name) && s.getParentSpanId().equals(parent.getSpanId())
                && s.getTraceId().equals(parent.getTraceId())).findFirst().orElseThrow(() -> new AssertionError(spans));
    }

    private static Map<String, String> attributes(Span span) {
        Map<String, String> out = new java.util.HashMap<>();
        for (KeyValue kv : span.getAttributesList()) {
            out.put(kv.getKey(), kv.getValue().getStringValue());
        }
        return out;
    }

    private static String hex(com.google.protobuf.ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }
}

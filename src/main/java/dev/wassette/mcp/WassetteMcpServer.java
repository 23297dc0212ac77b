package dev.wassette.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.CallContext;
import dev.wassette.runtime.Val;
import dev.wassette.tools.Failure;
import dev.wassette.tools.ToolNameConflictException;
import dev.wassette.tools.JsonValues;
import dev.wassette.tools.ToolSchemas;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The MCP server: built-in management tools (as Wassette names and shapes them) plus one tool per
 * exported function of every loaded component, each call running under that component's policy.
 * Transport-agnostic: stdio ({@link #stdio}) or streamable HTTP ({@link #streamable}).
 */
public final class WassetteMcpServer implements AutoCloseable {
    static final System.Logger LOG = System.getLogger("dev.wassette.mcp");
    static final String NAME = "wassette-java";

    private final ComponentHost host;
    private final boolean builtinTools;
    private final ObjectMapper json = ServerStartup.newMapper();
    private final McpJsonMapper mcpJson = new JacksonMcpJsonMapper(json);
    /** {@code _meta} keys of a tool result: denials recorded during the call, policy rules not in force. */
    static final String DENIALS_META = "dev.wassette/denials";
    static final String POLICY_NOTES_META = "dev.wassette/policy-notes";
    /** On a failed call of a component that uses files: the directories it could see. */
    static final String STORAGE_META = "dev.wassette/storage";

    private final ToolRegistry registry = new ToolRegistry();
    private final InFlightCalls calls = new InFlightCalls();
    private final ServerMetrics metrics;
    private final SessionDurations sessions;
    private final ServerTracing tracing;
    private final java.time.Instant startedAt = java.time.Instant.now();
    private final BuiltinTools builtins;
    private volatile McpSyncServer server;
    /** Instead of {@link #server}, when serving stateless HTTP ({@link #statelessHttp}). */
    private volatile McpStatelessSyncServer statelessServer;
    private volatile ToolListNotifications.Sender listChanged;
    private volatile dev.wassette.host.StoreWatcher watcher;
    /** Run after each change of the tools, and after each look at the store another process may have changed. */
    private final List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);

    /**
     * What a server records for an operator, none of which costs anything when off: metrics of its
     * calls served as Prometheus text ({@code prometheus}: {@link #scrapeMetrics()}, {@code /metrics})
     * and pushed over OTLP/HTTP to {@code metricsUrl}, and spans of its calls exported over OTLP/HTTP
     * to {@code tracesUrl} (each null: not sent).
     */
    public record Telemetry(boolean prometheus, String tracesUrl, String metricsUrl) {
        public static final Telemetry NONE = new Telemetry(false, null, null);

        /**
         * With OTLP as configured: {@code otlpEndpoint} (a collector's base URL, as {@code
         * OTEL_EXPORTER_OTLP_ENDPOINT}) if given, else the signal's own variable ({@code
         * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_METRICS_ENDPOINT}: the whole
         * URL), else {@code OTEL_EXPORTER_OTLP_ENDPOINT}; a base URL gets {@code /v1/traces} or {@code /v1/metrics}.
         */
        public static Telemetry of(boolean prometheus, String otlpEndpoint, Map<String, String> environment) {
            return new Telemetry(prometheus, signalUrl(otlpEndpoint, environment, "TRACES", "traces"),
                    signalUrl(otlpEndpoint, environment, "METRICS", "metrics"));
        }

        /** Whether the calls are recorded in metrics at all. */
        public boolean metrics() {
            return prometheus || metricsUrl != null;
        }

        private static String signalUrl(String option, Map<String, String> environment, String variable, String path) {
            if (option != null && !option.isBlank()) {
                return withPath(option, path);
            }
            String whole = environment.get("OTEL_EXPORTER_OTLP_" + variable + "_ENDPOINT");
            if (whole != null && !whole.isBlank()) {
                return whole.strip();
            }
            String base = environment.get("OTEL_EXPORTER_OTLP_ENDPOINT");
            return base == null || base.isBlank() ? null : withPath(base, path);
        }

        private static String withPath(String base, String path) {
            String b = base.strip();
            return (b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/v1/" + path;
        }
    }

    /** A server recording nothing for an operator (no metrics, no traces). */
    public WassetteMcpServer(ComponentHost host, boolean builtinTools) {
        this(host, builtinTools, Telemetry.NONE);
    }

    /** A server over {@code host}'s components recording what {@code telemetry} asks. */
    public WassetteMcpServer(ComponentHost host, boolean builtinTools, Telemetry telemetry) {
        this.host = host;
        this.builtinTools = builtinTools;
        this.metrics = telemetry.metrics() ? new MicrometerMetrics(telemetry.prometheus(), telemetry.metricsUrl(), version()) : ServerMetrics.OFF;
        this.tracing = telemetry.tracesUrl() != null ? new OtelTracing(telemetry.tracesUrl(), version()) : ServerTracing.OFF;
        this.metrics.gauge(ServerMetrics.COMPONENTS_LOADED, "Components loaded and served", () -> host.components().size());
        this.sessions = new SessionDurations(metrics);
        if (metrics.enabled()) {
            host.events(metrics.hostEvents());
        }
        this.builtins = new BuiltinTools(this, host, json);
    }

    public McpJsonMapper jsonMapper() {
        return mcpJson;
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> SCHEMA_MAP = new com.fasterxml.jackson.core.type.TypeReference<>() {};

    /** A JSON Schema tree as the SDK's tools hold it (a map), converted without going through text. */
    Map<String, Object> schemaMap(ObjectNode schema) {
        return json.convertValue(schema, SCHEMA_MAP);
    }

    /** The Jackson mapper behind {@link #jsonMapper()}. */
    ObjectMapper objectMapper() {
        return json;
    }

    /** Serves the sessions of a stream transport (stdio, or the daemon's socket connections). */
    public McpSyncServer streams(McpServerTransportProvider transport) {
        ToolListNotifications.Single wrapped = new ToolListNotifications.Single(transport);
        listChanged = wrapped;
        return start(McpServer.sync(wrapped));
    }

    /** Serves any number of sessions over streamable HTTP. */
    public McpSyncServer streamable(McpStreamableServerTransportProvider transport) {
        ToolListNotifications.Streamable wrapped = new ToolListNotifications.Streamable(transport);
        listChanged = wrapped;
        return start(McpServer.sync(wrapped));
    }

    /** Tells every client that the tool list changed, before returning (once per change, not per tool). */
    void notifyToolListChanged() {
        ToolListNotifications.Sender sender = listChanged;
        if (sender != null && server != null) {
            sender.send();
        }
        changeListeners.forEach(Runnable::run);
    }

    /**
     * Runs {@code listener} after each change of the tools and after each sync with the component
     * store (which another process may have changed, policies included), on the changing thread:
     * it must return quickly.
     */
    public void onChange(Runnable listener) {
        changeListeners.add(listener);
    }

    /** The built-in tools, as a session lists them when they are served (whether or not this server serves them). */
    List<McpSchema.Tool> builtinTools() {
        return builtins.specifications().stream().map(ServedTool::tool).toList();
    }

    /** The tools a session lists now (none before the server is built). */
    List<McpSchema.Tool> listTools() {
        McpSyncServer s = server;
        return s == null ? List.of() : s.listTools();
    }

    /**
     * What this server answers to {@code initialize} when the session speaks {@code protocolVersion},
     * as the SDK builds it; null before the server is built.
     */
    McpSchema.InitializeResult initializeResult(String protocolVersion) {
        McpSyncServer s = server;
        if (s == null) {
            return null;
        }
        return new McpSchema.InitializeResult(protocolVersion, s.getServerCapabilities(), s.getServerInfo(), INSTRUCTIONS);
    }

    private static final String INSTRUCTIONS = "Tools here run WebAssembly components in a sandbox. Use load-component to add tools, "
            + "and the grant-* tools to give a component the files, hosts or environment it needs.";

    private synchronized <S extends McpServer.SyncSpecification<S>> McpSyncServer start(McpServer.SyncSpecification<S> spec) {
        DerivedOutputValidator validator = new DerivedOutputValidator(json);
        spec.serverInfo(NAME, version())
                .jsonMapper(mcpJson)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).logging().build())
                .instructions(INSTRUCTIONS)
                .validateToolInputs(false) // arguments are validated against the WIT types, with the path of any bad value
                .jsonSchemaValidator(validator)
                .requestTimeout(Duration.ofMinutes(10))
                // Handlers run on the thread that received the message (a session's reader, an HTTP
                // request's thread) instead of hopping to Reactor's boundedElastic pool and back: two
                // thread hand-offs per call were a third of a trivial call's CPU. StreamTransport hands
                // the reading to another thread when a message takes long.
                .immediateExecution(true);
        spec.tools(toolsAtStart(validator).stream().map(ServedTool::withSessions).toList());
        McpSyncServer s = spec.build();
        this.server = s;
        started.countDown();
        return s;
    }

    /**
     * Tools known before the server is built (loaded components, stored ones listed from their
     * metadata): part of the first tools/list, with no list_changed sent before initialize.
     */
    private List<ServedTool> toolsAtStart(DerivedOutputValidator validator) {
        for (ComponentHost.Loaded l : host.components()) {
            register(l, false);
        }
        List<ServedTool> tools = new ArrayList<>(builtinTools ? builtins.specifications() : List.of());
        for (ServedTool t : tools) { // constants, checked by BuiltinToolSchemasTest
            validator.conforming(t.tool().inputSchema());
            validator.conforming(t.tool().outputSchema());
        }
        registry.all().forEach(e -> tools.add(componentTool(e)));
        return tools;
    }

    /**
     * Serves stateless HTTP: every request is answered on its own (JSON, no session, no
     * server-to-client messages), so any of several replicas can answer any request. There are no
     * {@code list_changed} or progress notifications; clients list the tools again.
     */
    public synchronized McpStatelessSyncServer statelessHttp(McpStatelessServerTransport transport) {
        DerivedOutputValidator validator = new DerivedOutputValidator(json);
        McpStatelessSyncServer s = McpServer.sync(transport)
                .serverInfo(NAME, version())
                .jsonMapper(mcpJson)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                .instructions(INSTRUCTIONS)
                .validateToolInputs(false)
                .jsonSchemaValidator(validator)
                .requestTimeout(Duration.ofMinutes(10))
                .immediateExecution(true)
                .tools(toolsAtStart(validator).stream().map(ServedTool::stateless).toList())
                .build();
        this.statelessServer = s;
        started.countDown();
        return s;
    }

    /**
     * Serves the component store: lists the tools of every stored component with current metadata
     * at once (call this before {@link #stdio}/{@link #streamable} so the first tools/list has them;
     * their calls wait for the code), loads the code of all in the background — registering the
     * tools of those without metadata as each is ready, with a {@code list_changed} — and from then
     * on follows the store: components another process adds, replaces or removes are loaded or
     * dropped, with a {@code list_changed}. Returns the thread of the initial load.
     */
    public synchronized Thread loadStoredComponents() {
        try {
            // Watch before listing: a component stored after the listing is then seen by the watcher.
            watcher = dev.wassette.host.StoreWatcher.start(host.store().directory(), this::syncStore, Duration.ofMillis(50), Duration.ofMillis(500));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "not watching the component store {0} for changes by other processes: {1}",
                    host.store().directory(), e.getMessage());
        }
        try {
            for (ComponentHost.Described d : host.beginLoadingStored()) {
                try {
                    register(d.id(), d.functions(), false);
                } catch (ToolNameConflictException e) {
                    LOG.log(System.Logger.Level.WARNING, "component {0} not served: {1}", d.id(), e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the component store: {0}", e.getMessage());
        }
        return Thread.ofPlatform().name("wassette-startup-load").daemon().start(() -> {
            try {
                // Loading competes for the CPU with starting the transport: let that go first (calls
                // that come before a component is loaded load it themselves).
                started.await(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                Map<String, String> failures = host.loadAll();
                boolean changed = false;
                for (var f : failures.entrySet()) {
                    LOG.log(System.Logger.Level.WARNING, "component {0} not loaded: {1}", f.getKey(), f.getValue());
                    changed |= unregister(f.getKey(), false); // listed from its metadata, but its code is unusable
                }
                for (ComponentHost.Loaded l : host.components()) {
                    try {
                        changed |= register(l, false);
                    } catch (ToolNameConflictException e) {
                        LOG.log(System.Logger.Level.WARNING, "component {0} not served: {1}", l.id(), e.getMessage());
                    }
                }
                if (changed) {
                    notifyToolListChanged();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot read the component store: {0}", e.getMessage());
            }
            syncStore(); // changes other processes made while this loaded
        });
    }

    /** Applies what another process changed in the store; one {@code list_changed} if the tools changed. */
    void syncStore() {
        ComponentHost.Changes changes;
        try {
            changes = host.syncWithStore();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the component store: {0}", e.getMessage());
            return;
        }
        boolean changed = false;
        for (String id : changes.removed()) {
            LOG.log(System.Logger.Level.INFO, "component {0} was removed from the store; its tools are gone", id);
            changed |= unregister(id, false);
        }
        for (ComponentHost.Loaded l : changes.loaded()) {
            try {
                changed |= register(l, false);
                LOG.log(System.Logger.Level.INFO, "component {0} loaded from the store", l.id());
            } catch (ToolNameConflictException e) {
                LOG.log(System.Logger.Level.WARNING, "component {0} not served: {1}", l.id(), e.getMessage());
                changed |= unregister(l.id(), false); // its old tools would call functions the new code may lack
            }
        }
        changes.failures().forEach((id, error) -> LOG.log(System.Logger.Level.WARNING, "component {0} in the store not loaded: {1}", id, error));
        if (changed) {
            notifyToolListChanged();
        } else {
            changeListeners.forEach(Runnable::run); // the store changed all the same (a policy, a stamp)
        }
    }

    /**
     * Registers a loaded component's tools; returns whether the tool list changed. A component no
     * longer the one loaded under its id (unloaded or replaced since a store sync found it) is not
     * registered: its tools must not come back after the unload removed them.
     */
    synchronized boolean register(ComponentHost.Loaded loaded, boolean notify) {
        if (host.component(loaded.id()) != loaded) {
            return false;
        }
        return register(loaded.id(), loaded.functions(), notify);
    }

    /**
     * Registers (or re-registers) a component's tools; returns whether its tools changed. Tools
     * that stay the same are left as they are, so a component listed from its metadata and then
     * loaded causes no {@code list_changed}.
     */
    private synchronized boolean register(String id, List<dev.wassette.runtime.ExportedFunction> functions, boolean notify) {
        List<String> skipped = new ArrayList<>();
        List<ToolRegistry.Entry> entries = registry.plan(id, functions, skipped);
        boolean changed = !new java.util.HashSet<>(registry.ofComponent(id)).equals(new java.util.HashSet<>(entries));
        if (changed) {
            skipped.forEach(x -> LOG.log(System.Logger.Level.WARNING, "component {0}: not a tool: {1}", id, x));
            registry.removeComponent(id).forEach(this::removeServedTool);
            registry.put(entries);
            for (ToolRegistry.Entry e : entries) {
                addServedTool(componentTool(e));
            }
        }
        if (notify) {
            notifyToolListChanged();
        }
        return changed;
    }

    /**
     * For provisioning ({@link dev.wassette.host.Provisioner}): admits components whose tool names
     * clash with none admitted before (tool names are global), naming both sides of a clash.
     */
    public static dev.wassette.host.Provisioner.Admission distinctToolNames() {
        ToolRegistry admitted = new ToolRegistry();
        return candidate -> admitted.put(admitted.plan(candidate.id(), candidate.functions(), new ArrayList<>()));
    }

    /** Checks that a component's tools would not clash before it replaces anything. */
    void checkNoConflicts(String id, ComponentHost.Loaded candidate) {
        registry.plan(id, candidate.functions(), new ArrayList<>());
    }

    /** Removes a component's tools; returns whether it had any. */
    synchronized boolean unregister(String componentId, boolean notify) {
        List<String> names = registry.removeComponent(componentId);
        names.forEach(this::removeServedTool);
        if (notify) {
            notifyToolListChanged();
        }
        return !names.isEmpty();
    }

    /** Adds a tool to the server being served (if one is yet: before, the tools are given when it is built). */
    private void addServedTool(ServedTool tool) {
        McpSyncServer s = server;
        McpStatelessSyncServer stateless = statelessServer;
        if (s != null) {
            s.addTool(tool.withSessions());
        } else if (stateless != null) {
            stateless.addTool(tool.stateless());
        }
    }

    private void removeServedTool(String name) {
        McpSyncServer s = server;
        McpStatelessSyncServer stateless = statelessServer;
        if (s != null) {
            s.removeTool(name);
        } else if (stateless != null) {
            stateless.removeTool(name);
        }
    }

    /** Whether a tools/call may name this tool (a built-in, or a tool of a loaded component). */
    public boolean knowsTool(String name) {
        return registry.get(name) != null || builtinTools && builtins.names().contains(name);
    }

    List<ToolRegistry.Entry> toolsOf(String componentId) {
        return registry.ofComponent(componentId);
    }

    private ServedTool componentTool(ToolRegistry.Entry e) {
        var f = e.function();
        McpSchema.Tool.Builder tool = McpSchema.Tool.builder()
                .name(e.toolName())
                .description("Calls " + f.qualifiedName() + " of component " + e.componentId() + ": " + f.wit())
                .inputSchema(new DerivedOutputValidator.DerivedSchema(schemaMap(ToolSchemas.inputSchema(f.type()))));
        ObjectNode output = ToolSchemas.outputSchema(f.type());
        if (output != null) {
            tool.outputSchema(new DerivedOutputValidator.DerivedSchema(schemaMap(output)));
        }
        return new ServedTool(tool.build(), (exchange, context, request) -> callComponent(e, context, request));
    }

    private McpSchema.CallToolResult callComponent(ToolRegistry.Entry e, McpTransportContext context, McpSchema.CallToolRequest request) {
        long start = System.nanoTime();
        Map<String, Object> arguments = request.arguments();
        JsonNode args = json.valueToTree(arguments == null ? Map.of() : arguments);
        CallContext call = calls.begin(request.meta()).client(StreamTransport.clientOf(context));
        ServerTracing.CallSpan span = tracing.startCall(e.toolName(), e.componentId(), request.meta(), context);
        call.traceId(span.traceId());
        String outcome = "ok";
        List<String> backtrace = List.of();
        McpSchema.CallToolResult answer = null;
        try {
            List<Val> values = JsonValues.arguments(args, e.function().type());
            Val value = host.call(e.componentId(), e.function(), values, call);
            if (value instanceof Val.ResultVal r && !r.isOk()) {
                outcome = "err-result";
            }
            answer = withPolicyReport(result(value), call, !"ok".equals(outcome));
            return answer;
        } catch (Exception ex) {
            Failure failure = Failure.ofCall(ex, e.function().qualifiedName());
            outcome = failure.outcome();
            backtrace = failure.backtrace();
            // What the policy did matters to a guest that failed; to bad arguments or a broken store it does not.
            answer = failure.kind() == Failure.Kind.GUEST ? withPolicyReport(error(failure.message()), call, true) : error(failure.message());
            return answer;
        } finally {
            calls.end(request.meta());
            if (call.isCancelled() && !"ok".equals(outcome)) {
                outcome = "cancelled";
            }
            recordCall(e, call, answer, outcome, System.nanoTime() - start);
            span.end(failed(answer) ? outcome : null, call);
            InvocationLog.record(e.toolName(), e.componentId(), args, call.instantiateNanos(), call.executeNanos(), outcome, backtrace,
                    span.traceId(), StreamTransport.sessionLogOf(context));
        }
    }

    /**
     * Records a component call in the metrics. A WIT {@code result} err is an answer, not a failure
     * (the result is not {@code isError}); a failure's error type is the invocation log's outcome,
     * an enumeration ({@code timeout}, {@code invalid-arguments}, …).
     */
    private void recordCall(ToolRegistry.Entry e, CallContext call, McpSchema.CallToolResult answer, String outcome, long nanos) {
        ServerMetrics.ToolMeters meters = metrics.tool(e.toolName(), e.componentId());
        boolean failed = failed(answer);
        meters.operation(nanos, failed ? outcome : null);
        meters.phases(call.instantiateNanos(), call.executeNanos());
        meters.usage(call.fuelConsumed(), call.memoryBytes());
        if (answer != null && !failed) {
            meters.resultBytes(textBytes(answer));
        }
        for (CallContext.Denial d : call.denials()) {
            meters.denied(d.category());
        }
    }

    /** A call failed when it has no answer or an {@code isError} one (a WIT {@code result} err is an answer). */
    private static boolean failed(McpSchema.CallToolResult answer) {
        return answer == null || Boolean.TRUE.equals(answer.isError());
    }

    /** UTF-8 bytes of a result's text content (what crosses to the client), counted without encoding it. */
    static long textBytes(McpSchema.CallToolResult result) {
        long bytes = 0;
        for (McpSchema.Content c : result.content()) {
            if (c instanceof McpSchema.TextContent t) {
                String s = t.text();
                for (int i = 0; i < s.length(); i++) {
                    char ch = s.charAt(i);
                    if (ch < 0x80) {
                        bytes += 1;
                    } else if (ch < 0x800) {
                        bytes += 2;
                    } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        bytes += 4;
                        i++;
                    } else {
                        bytes += 3;
                    }
                }
            }
        }
        return bytes;
    }

    /** Where the server's calls are recorded. */
    ServerMetrics metrics() {
        return metrics;
    }

    /** Where the server's calls are traced. */
    ServerTracing tracing() {
        return tracing;
    }

    /**
     * Everything recorded so far, in the Prometheus text format (version 0.0.4).
     *
     * @throws IllegalStateException if this server was made without metrics
     */
    public String scrapeMetrics() {
        if (metrics.scrapes()) {
            return ((MicrometerMetrics) metrics).scrape();
        }
        throw new IllegalStateException("this server serves no metrics");
    }

    /**
     * What {@code GET /info} answers: versions, build, uptime and the components served (with
     * their tools), as a JSON object.
     */
    public ObjectNode info() {
        ObjectNode info = json.createObjectNode();
        info.put("name", NAME);
        info.put("version", version());
        info.put("wasmtime", dev.wassette.runtime.NativeLibrary.WASMTIME_VERSION);
        info.put("nativeLibrary", dev.wassette.runtime.NativeLibrary.version());
        info.put("java", Runtime.version().toString());
        info.put("startedAt", startedAt.toString());
        info.put("uptimeSeconds", Duration.between(startedAt, java.time.Instant.now()).toMillis() / 1000.0);
        info.put("metrics", metrics.enabled());
        info.put("tracing", tracing != ServerTracing.OFF);
        var components = info.putArray("components");
        var toolsByComponent = new java.util.TreeMap<String, java.util.TreeSet<String>>();
        registry.all().forEach(e -> toolsByComponent.computeIfAbsent(e.componentId(), k -> new java.util.TreeSet<>()).add(e.toolName()));
        toolsByComponent.forEach((id, names) -> {
            ObjectNode c = components.addObject();
            c.put("id", id);
            names.forEach(c.putArray("tools")::add);
        });
        return info;
    }

    /**
     * Adds to a result what the policy did during the call — denials recorded (what was refused
     * and why) and rules not in force — as {@code _meta} and, when the call failed or something was
     * denied, as a text block an agent can act on. The component never sees any of it.
     */
    private McpSchema.CallToolResult withPolicyReport(McpSchema.CallToolResult result, CallContext call, boolean failed) {
        List<CallContext.Denial> denials = call.denials();
        List<String> notes = call.policyNotes();
        List<String> visible = failed ? call.storageVisible() : null;
        if (denials.isEmpty() && notes.isEmpty() && visible == null) {
            return result;
        }
        Map<String, Object> meta = new java.util.LinkedHashMap<>();
        if (result.meta() != null) {
            meta.putAll(result.meta());
        }
        List<McpSchema.Content> content = new ArrayList<>(result.content());
        if (!denials.isEmpty()) {
            meta.put(DENIALS_META, denials.stream()
                    .map(d -> Map.of("category", category(d), "detail", d.detail())).toList());
            content.add(new McpSchema.TextContent("Denied by the component's policy:\n"
                    + String.join("\n", denials.stream().map(d -> "- " + category(d) + ": " + d.detail()).toList())
                    + "\nA grant-*-permission tool can allow it, if the user agrees."));
        }
        if (visible != null) {
            // WASI refuses other paths inside the guest, unseen by the host: say what the guest could see.
            meta.put(STORAGE_META, visible);
            content.add(new McpSchema.TextContent((visible.isEmpty()
                    ? "Files: the component's policy grants it no directory, so every path looks absent or not permitted to it."
                    : "Files: the component's policy lets it see only " + String.join(", ", visible)
                            + "; any other path looks absent or not permitted to it.")
                    + " If the failure is about a file, grant-storage-permission can allow its directory, if the user agrees."));
        }
        if (!notes.isEmpty()) {
            meta.put(POLICY_NOTES_META, notes);
            if (failed || !denials.isEmpty()) {
                content.add(new McpSchema.TextContent("Policy rules not in force for this call:\n- " + String.join("\n- ", notes)));
            }
        }
        McpSchema.CallToolResult.Builder reported = McpSchema.CallToolResult.builder().content(content).isError(result.isError()).meta(meta);
        if (result.structuredContent() != null) { // a failure has none, and the SDK's builder refuses null
            reported.structuredContent(result.structuredContent());
        }
        return reported.build();
    }

    private static String category(CallContext.Denial d) {
        return d.category().name().toLowerCase(Locale.ROOT);
    }

    /** structuredContent {@code {result: …}} and the same value as text (a plain string unquoted). */
    McpSchema.CallToolResult result(Val value) throws JsonProcessingException {
        if (value == null) {
            return McpSchema.CallToolResult.builder().content(List.of()).isError(false).build();
        }
        JsonNode node = JsonValues.toJson(value);
        ObjectNode structured = json.createObjectNode();
        structured.set("result", node);
        String text = node.isTextual() ? node.asText() : json.writeValueAsString(node);
        return McpSchema.CallToolResult.builder()
                .addTextContent(text)
                .structuredContent(structured) // a JSON tree, written as is (no copy into Maps)
                .isError(false)
                .build();
    }

    static McpSchema.CallToolResult error(String message) {
        return McpSchema.CallToolResult.builder().addTextContent(message).isError(true).build();
    }

    /** Tool calls in flight, for the transports to stamp and cancel. */
    SessionDurations sessions() {
        return sessions;
    }

    InFlightCalls calls() {
        return calls;
    }

    McpSyncServer server() {
        return server;
    }

    static String version() {
        String v = WassetteMcpServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void close() {
        InvocationLog.flush(Duration.ofSeconds(2));
        var w = watcher;
        if (w != null) {
            w.close();
        }
        McpSyncServer s = server;
        if (s != null) {
            s.closeGracefully();
        }
        McpStatelessSyncServer stateless = statelessServer;
        if (stateless != null) {
            stateless.closeGracefully();
        }
        sessions.endAll();
        if (metrics.enabled()) {
            host.events(dev.wassette.host.HostEvents.NONE);
        }
        metrics.close();
        tracing.close();
    }
}

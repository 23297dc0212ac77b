package dev.wassette.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.ComponentOrigin;
import dev.wassette.host.ComponentSources;
import dev.wassette.host.ComponentStore;
import dev.wassette.host.DeclarationConsent;
import dev.wassette.host.PolicyMapping;
import dev.wassette.host.ProvidedImports;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyEditor;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyWriter;
import dev.wassette.source.Progress;
import dev.wassette.source.RegistryCredentials;
import dev.wassette.tools.Failure;
import dev.wassette.tools.ToolNameConflictException;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The built-in management tools, named and shaped as Wassette's so existing prompts and clients
 * work. Every result is JSON, as text and as {@code structuredContent}.
 */
final class BuiltinTools {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The client of the call being handled (daemon sessions); unbound: this process's. */
    private static final ScopedValue<ClientEnvironment> CLIENT = ScopedValue.newInstance();

    private final WassetteMcpServer server;
    private final ComponentHost host;
    private final ObjectMapper json;

    BuiltinTools(WassetteMcpServer server, ComponentHost host, ObjectMapper json) {
        this.server = server;
        this.host = host;
        this.json = json;
    }

    @FunctionalInterface
    private interface Handler {
        JsonNode handle(JsonNode args) throws Exception;
    }

    /** A handler that also talks to the client during the call (progress notifications). */
    @FunctionalInterface
    private interface ExchangeHandler {
        JsonNode handle(JsonNode args, McpSyncServerExchange exchange, Map<String, Object> meta) throws Exception;
    }

    /** A failure the client caused: reported as a tool error with this message (see {@link Failure#ofOperation}). */
    static final class ToolError extends IllegalArgumentException {
        ToolError(String message) {
            super(message);
        }
    }

    private volatile java.util.Set<String> names = java.util.Set.of();

    /** Names of the built-in tools. */
    java.util.Set<String> names() {
        return names;
    }

    List<ServedTool> specifications() {
        List<ServedTool> specs = new ArrayList<>();
        specs.add(tool("load-component", "Loads a WebAssembly component (binary or component text) from a file, an HTTPS URL or an OCI registry, "
                        + "and serves its exported functions as tools. Loading again with the same id replaces it. "
                        + "A pinned source (#sha256=HEX, @sha256:HEX, or digest) whose bytes differ is refused. Sends progress notifications for a progressToken. "
                        + "Permissions the component declares (a policy that came with it) are returned as declared_permissions and are not granted "
                        + "(unless its cosign signature verified under a trust policy that applies declarations). "
                        + "Where the trust policy requires a signature, an OCI artifact no trusted key signed is refused; the result's signature says who signed.",
                object(properties(
                        "path", string("file:///absolute/path.wasm, a path, https://host/x.wasm[#sha256=HEX], "
                                + "oci://registry/repository:tag or oci://registry/repository@sha256:HEX"),
                        "digest", string("optional pin: the OCI manifest's digest, or the HTTPS body's or file's")
                                .put("pattern", "^sha256:[0-9a-f]{64}$")), "path"),
                (ExchangeHandler) this::load));
        specs.add(tool("unload-component", "Unloads a component and removes its tools and stored files.",
                object(properties("id", string("Component id")), "id"),
                this::unload));
        specs.add(tool("list-components", "Lists the loaded components with their tools.", object(properties()), a -> list()));
        specs.add(tool("get-policy", "Gets the permission policy of a component (what is granted) and, as declared_permissions, the permissions it declares (not granted unless applied).",
                componentId(), a -> policyResult(id(a), host.store().policy(id(a)))));
        specs.add(tool("apply-declared-permissions", "Grants a component the permissions it declares (declared_permissions of load-component and get-policy), "
                        + "replacing its current policy. Only when the user agrees to exactly those permissions; pass the digest they were shown.",
                object(properties("component_id", string("Component id"),
                        "digest", string("declared_permissions.digest the user agreed to: refused if the declaration changed since")
                                .put("pattern", "^sha256:[0-9a-f]{64}$")), "component_id"),
                this::applyDeclared));
        specs.add(tool("grant-storage-permission", "Grants a component read, or read and write, access to a directory tree (fs:///path/** or fs://relative/**). "
                        + "WASI grants whole directories: single files, other globs and write-only access are refused with what to grant instead.",
                details(properties("uri", string(), "access", access().put("minItems", 1)), "uri", "access"),
                a -> edit(a, p -> PolicyEditor.grantStorage(p, text(a, "uri"), access(a)))));
        specs.add(tool("grant-network-permission", "Grants a component network access to a host (name, *.suffix, optional scheme/port) or a CIDR.",
                details(properties("host", string(), "cidr", string())),
                a -> edit(a, p -> hostOrCidr(a).startsWith("cidr:") ? PolicyEditor.grantNetworkCidr(p, hostOrCidr(a).substring(5))
                        : PolicyEditor.grantNetworkHost(p, hostOrCidr(a).substring(5)))));
        specs.add(tool("grant-environment-variable-permission", "Grants a component one environment variable (it sees it only when the value is set).",
                details(properties("key", string()), "key"),
                a -> edit(a, p -> PolicyEditor.grantEnvironment(p, text(a, "key")))));
        specs.add(tool("revoke-storage-permission", "Revokes a component's access to a storage URI (all access, or only the listed access).",
                details(properties("uri", string(), "access", access()), "uri"),
                a -> edit(a, p -> PolicyEditor.revokeStorage(p, text(a, "uri"), a.path("details").has("access") ? access(a) : Set.of()))));
        specs.add(tool("revoke-network-permission", "Revokes a component's network access to a host or CIDR.",
                details(properties("host", string(), "cidr", string())),
                a -> edit(a, p -> PolicyEditor.revokeNetwork(p, hostOrCidr(a).substring(5)))));
        specs.add(tool("revoke-environment-variable-permission", "Revokes a component's access to an environment variable.",
                details(properties("key", string()), "key"),
                a -> edit(a, p -> PolicyEditor.revokeEnvironment(p, text(a, "key")))));
        specs.add(tool("grant-quota", "Sets a quota of a component: concurrent_calls (its calls in flight at once; more wait up to 5 s, then fail), "
                        + "calls_per_minute (calls started per minute, in bursts up to that many; more fail at once) "
                        + "outbound_requests (HTTP requests and TCP connections one call may make; more are denied to it) "
                        + "or outbound_bytes (bytes one call's HTTP requests may send; value in bytes, up to 1 TiB; counts up to 1000000).",
                details(properties("quota", quotaName(), "value", NODES.objectNode().put("type", "integer").put("minimum", 1)
                                .put("maximum", dev.wassette.policy.Policy.Quotas.maximum("outbound_bytes"))),
                        "quota", "value"),
                a -> edit(a, p -> PolicyEditor.grantQuota(p, text(a, "quota"), quotaValue(a)))));
        specs.add(tool("revoke-quota", "Removes a quota of a component (its calls are no longer limited by it).",
                details(properties("quota", quotaName()), "quota"),
                a -> edit(a, p -> PolicyEditor.revokeQuota(p, text(a, "quota")))));
        specs.add(tool("reset-permission", "Removes every permission of a component.", componentId(), a -> edit(a, PolicyEditor::reset)));
        names = specs.stream().map(t -> t.tool().name()).collect(java.util.stream.Collectors.toUnmodifiableSet());
        return specs;
    }

    /** Where relative paths and {@code fs://} rules resolve for the client of the current call. */
    private Path baseDir() {
        return host.baseDir(CLIENT.isBound() ? CLIENT.get() : null);
    }

    // The input schemas, as JSON trees.

    /** {@code {"type": "object", "properties": …, "required": […]}} ({@code required} left out when empty). */
    private static ObjectNode object(ObjectNode properties, String... required) {
        ObjectNode schema = NODES.objectNode().put("type", "object");
        schema.set("properties", properties);
        if (required.length > 0) {
            ArrayNode names = schema.putArray("required");
            for (String r : required) {
                names.add(r);
            }
        }
        return schema;
    }

    /** Properties from name, schema, name, schema, … in that order. */
    private static ObjectNode properties(Object... nameThenSchema) {
        ObjectNode properties = NODES.objectNode();
        for (int i = 0; i < nameThenSchema.length; i += 2) {
            properties.set((String) nameThenSchema[i], (ObjectNode) nameThenSchema[i + 1]);
        }
        return properties;
    }

    private static ObjectNode string() {
        return NODES.objectNode().put("type", "string");
    }

    private static ObjectNode string(String description) {
        return string().put("description", description);
    }

    /** A list of "read" and/or "write". */
    private static ObjectNode access() {
        ObjectNode access = NODES.objectNode().put("type", "array");
        access.putObject("items").put("type", "string").putArray("enum").add("read").add("write");
        return access;
    }

    private static ObjectNode quotaName() {
        ObjectNode name = string();
        dev.wassette.policy.Policy.Quotas.NAMES.forEach(name.putArray("enum")::add);
        return name;
    }

    private static long quotaValue(JsonNode args) throws ToolError {
        JsonNode value = args.path("details").get("value");
        if (value == null || !value.canConvertToLong() || !value.isIntegralNumber()) {
            throw new ToolError("missing details.value (a whole number: a count, or bytes for outbound_bytes)");
        }
        return value.longValue();
    }

    private static ObjectNode componentId() {
        return object(properties("component_id", string("Component id")), "component_id");
    }

    /** {@code {component_id, details: {…}}}, both required: the shape of Wassette's grant and revoke tools. */
    private static ObjectNode details(ObjectNode properties, String... required) {
        return object(properties("component_id", string(), "details", object(properties, required)), "component_id", "details");
    }

    private ServedTool tool(String name, String description, ObjectNode inputSchema, Handler handler) {
        return tool(name, description, inputSchema, (ExchangeHandler) (args, exchange, meta) -> handler.handle(args));
    }

    private ServedTool tool(String name, String description, ObjectNode inputSchema, ExchangeHandler handler) {
        McpSchema.Tool tool = McpSchema.Tool.builder().name(name).description(description)
                .inputSchema(server.schemaMap(inputSchema)).build();
        ServerMetrics.ToolMeters meters = server.metrics().tool(name, null);
        return new ServedTool(tool, (exchange, context, request) -> {
            JsonNode args = json.valueToTree(request.arguments() == null ? Map.of() : request.arguments());
            long start = System.nanoTime();
            ServerTracing.CallSpan span = server.tracing().startCall(name, null, request.meta(), context);
            String outcome = "ok";
            try {
                ClientEnvironment client = StreamTransport.clientOf(context);
                JsonNode result = client == null ? handler.handle(args, exchange, request.meta())
                        : ScopedValue.where(CLIENT, client).call(() -> handler.handle(args, exchange, request.meta()));
                return McpSchema.CallToolResult.builder()
                        .addTextContent(json.writeValueAsString(result))
                        .structuredContent(json.convertValue(result, Map.class))
                        .isError(false).build();
            } catch (Exception e) {
                Failure failure = Failure.ofOperation(e, name);
                outcome = failure.outcome();
                return WassetteMcpServer.error(failure.message());
            } finally {
                server.calls().end(request.meta()); // management tools run to completion; only their answer can be dropped
                meters.operation(System.nanoTime() - start, "ok".equals(outcome) ? null : outcome);
                span.end("ok".equals(outcome) ? null : outcome, null);
                InvocationLog.record(name, null, args, 0, System.nanoTime() - start, outcome, List.of(), span.traceId(),
                        StreamTransport.sessionLogOf(context));
            }
        });
    }

    private JsonNode load(JsonNode args, McpSyncServerExchange exchange, Map<String, Object> meta) throws Exception {
        String path = text(args, "path", null);
        JsonNode digest = args.get("digest");
        if (digest != null && !digest.isNull() && !digest.isTextual()) {
            throw new ToolError("digest must be a string sha256:…");
        }
        ClientEnvironment client = CLIENT.isBound() ? CLIENT.get() : null;
        ComponentSources.Fetched fetched;
        try {
            // A relative path is the client's, and so are the registry credentials its environment points to.
            fetched = host.sources().fetch(path, baseDir(), digest == null || digest.isNull() ? null : digest.asText(),
                    RegistryCredentials.fromEnvironment(client != null ? client.variables() : System.getenv()), progress(exchange, meta));
        } catch (ComponentSources.SourceException e) {
            String why = e.getMessage();
            throw new ToolError(!ComponentSources.isRemote(path) ? why : "cannot load " + (why.startsWith(path) ? why : path + ": " + why));
        }
        String id = fetched.suggestedId();
        ComponentHost.Loaded prepared;
        try {
            prepared = host.prepare(id, fetched.bytes());
        } catch (RuntimeException e) {
            throw new ToolError("cannot load " + fetched.source() + ": " + e.getMessage());
        }
        List<ProvidedImports.Checked> imports = ProvidedImports.check(prepared.sandbox().component());
        try {
            server.checkNoConflicts(id, prepared);
        } catch (ToolNameConflictException e) {
            host.discard(prepared);
            throw e;
        }
        boolean replaced = host.component(id) != null;
        var declared = host.install(prepared, fetched);
        ComponentHost.Loaded installed = host.component(id); // prepared, or the same code mapped from the store
        if (installed != null) {
            server.register(installed, true);
        }
        ObjectNode out = json.createObjectNode();
        out.put("status", replaced ? "component reloaded successfully" : "component loaded successfully");
        out.put("id", id);
        if (fetched.origin() != null) {
            out.put("source", fetched.origin().source());
            out.put("resolved", fetched.origin().resolved());
            out.put("digest", fetched.origin().digest());
            out.put("component_digest", fetched.origin().componentDigest());
        }
        if (ComponentSources.isRemote(path)) {
            out.put("from_cache", fetched.fromCache());
            ObjectNode signature = out.putObject("signature");
            signature.put("verified", fetched.trust().signatureVerified());
            signature.put("signed_by", fetched.trust().signedBy());
            signature.put("declaration_applied_by_trust_policy", fetched.trust().allowsApplyingDeclaration() && declared.isPresent());
            signature.put("detail", fetched.trust().reason());
        }
        ArrayNode tools = out.putArray("tools");
        server.toolsOf(id).forEach(t -> tools.add(t.toolName()));
        ArrayNode importList = out.putArray("imports");
        imports.forEach(c -> importList.addObject().put("name", c.name()).put("status", c.describe()));
        out.set("declared_permissions", declaredPermissions(declared.orElse(null), host.store().policy(id)));
        return out;
    }

    /** Progress notifications to the client when its request carried a {@code progressToken}. */
    private static Progress progress(McpSyncServerExchange exchange, Map<String, Object> meta) {
        Object token = meta == null ? null : meta.get("progressToken");
        if (token == null || exchange == null) {
            return Progress.NONE;
        }
        return (what, done, total) -> {
            try {
                exchange.progressNotification(new McpSchema.ProgressNotification(token, (double) done,
                        total >= 0 ? (double) total : null, "fetching " + what));
            } catch (RuntimeException e) {
                WassetteMcpServer.LOG.log(System.Logger.Level.DEBUG, "progress notification not sent: {0}", e.getMessage());
            }
        };
    }

    private JsonNode applyDeclared(JsonNode args) throws Exception {
        String id = id(args);
        JsonNode digest = args.get("digest");
        if (digest != null && !digest.isNull() && !digest.isTextual()) {
            throw new ToolError("digest must be a string sha256:…");
        }
        String expected = digest == null || digest.isNull() ? null : digest.asText();
        Policy applied = host.store().applyDeclaredPolicy(id, new DeclarationConsent.UserGrant(expected));
        return policyResult(id, applied);
    }

    /**
     * A component's declaration as a client sees it: what it would grant (policy-mcp form), its
     * digest (to apply exactly it), whether it is what is granted now, and the rules of it that
     * would not be in force. Null when the component declares nothing.
     */
    private JsonNode declaredPermissions(ComponentStore.DeclaredPolicy declared, Policy granted) {
        if (declared == null) {
            return json.nullNode();
        }
        ObjectNode out = json.createObjectNode();
        out.put("digest", declared.digest());
        out.set("policy", policyTree(declared.policy()));
        boolean applied = declared.policy().grantsSameAs(granted);
        out.put("applied", applied);
        List<String> warnings = new ArrayList<>(PolicyMapping.unenforceable(declared.policy(), baseDir()));
        warnings.addAll(PolicyMapping.absentDirectories(declared.policy(), baseDir()));
        if (!warnings.isEmpty()) {
            ArrayNode list = out.putArray("warnings");
            warnings.forEach(list::add);
        }
        out.put("note", applied ? "The component's policy is what it declares."
                : "Declared by the component, not granted. apply-declared-permissions grants exactly this (with this digest), if the user agrees.");
        return out;
    }

    private JsonNode policyTree(Policy policy) {
        return json.valueToTree(PolicyWriter.toTree(policy));
    }

    private JsonNode unload(JsonNode args) throws Exception {
        String id = text(args, "id", null);
        ComponentStore.checkId(id);
        if (host.component(id) == null && !host.store().contains(id)) {
            throw new ToolError("no component with id \"" + id + "\"");
        }
        server.unregister(id, false);
        host.unload(id);
        server.notifyToolListChanged();
        ObjectNode out = json.createObjectNode();
        out.put("status", "component unloaded successfully");
        out.put("id", id);
        return out;
    }

    private JsonNode list() {
        ObjectNode out = json.createObjectNode();
        ArrayNode components = out.putArray("components");
        host.components().stream().sorted((a, b) -> a.id().compareTo(b.id())).forEach(l -> {
            ObjectNode c = components.addObject();
            c.put("id", l.id());
            ArrayNode tools = c.putArray("tools");
            server.toolsOf(l.id()).forEach(t -> {
                ObjectNode tool = tools.addObject();
                tool.put("name", t.toolName());
                tool.put("function", t.function().qualifiedName());
                tool.put("signature", t.function().wit());
            });
            c.put("tool_count", tools.size());
            ComponentOrigin origin = origin(l.id());
            if (origin != null) {
                c.put("source", origin.source());
                c.put("digest", origin.digest());
                if (origin.signedBy() != null) {
                    c.put("signed_by", origin.signedBy());
                }
            }
        });
        out.put("total", components.size());
        return out;
    }

    /** Where a stored component came from, or null when not recorded or unreadable (the listing goes on without it). */
    private ComponentOrigin origin(String id) {
        try {
            return host.store().origin(id);
        } catch (IOException e) {
            WassetteMcpServer.LOG.log(System.Logger.Level.WARNING, "cannot read the origin of {0}: {1}", id, e.getMessage());
            return null;
        }
    }

    private JsonNode edit(JsonNode args, PolicyChange change) throws Exception {
        String id = id(args);
        if (!host.store().contains(id)) {
            throw new ToolError("no component with id \"" + id + "\"");
        }
        UnaryOperator<Policy> op = p -> {
            try {
                Policy next = change.apply(p);
                // Checked as enforcement checks it: a grant that would not be in force is refused now.
                PolicyMapping.requireEnforceable(p, next, baseDir());
                return next;
            } catch (ToolError e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        };
        Policy updated = host.store().update(id, op);
        return policyResult(id, updated);
    }

    @FunctionalInterface
    private interface PolicyChange {
        Policy apply(Policy p) throws ToolError;
    }

    private JsonNode policyResult(String id, Policy policy) throws IOException, PolicyException {
        ObjectNode out = json.createObjectNode();
        out.put("component_id", id);
        out.set("policy", policyTree(policy));
        List<String> warnings = new ArrayList<>(PolicyMapping.unenforceable(policy, baseDir()));
        warnings.addAll(PolicyMapping.absentDirectories(policy, baseDir()));
        if (!warnings.isEmpty()) {
            ArrayNode list = out.putArray("warnings");
            warnings.forEach(list::add);
        }
        out.set("declared_permissions", declaredPermissions(host.store().declaredPolicy(id).orElse(null), policy));
        return out;
    }

    private String id(JsonNode args) throws ToolError {
        String id = text(args, "component_id", null);
        try {
            ComponentStore.checkId(id);
        } catch (IllegalArgumentException e) {
            throw new ToolError(e.getMessage());
        }
        if (!host.store().contains(id)) {
            throw new ToolError("no component with id \"" + id + "\"");
        }
        return id;
    }

    private static String text(JsonNode args, String field) throws ToolError {
        return text(args, field, "details");
    }

    private static String text(JsonNode args, String field, String under) throws ToolError {
        JsonNode node = under == null ? args.get(field) : args.path(under).get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new ToolError("missing " + (under == null ? "" : under + ".") + field + " (a non-empty string)");
        }
        return node.asText();
    }

    private static String hostOrCidr(JsonNode args) throws ToolError {
        JsonNode details = args.path("details");
        boolean host = details.hasNonNull("host");
        boolean cidr = details.hasNonNull("cidr");
        if (host == cidr) {
            throw new ToolError("details needs exactly one of host or cidr");
        }
        return host ? "host:" + text(args, "host") : "cidr:" + text(args, "cidr");
    }

    private static Set<Policy.Access> access(JsonNode args) throws ToolError {
        JsonNode list = args.path("details").get("access");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new ToolError("details.access must be a non-empty list of \"read\" and/or \"write\"");
        }
        Set<Policy.Access> out = EnumSet.noneOf(Policy.Access.class);
        for (JsonNode a : list) {
            switch (a.asText().toLowerCase(Locale.ROOT)) {
                case "read" -> out.add(Policy.Access.READ);
                case "write" -> out.add(Policy.Access.WRITE);
                default -> throw new ToolError("details.access: unknown access \"" + a.asText() + "\" (read or write)");
            }
        }
        return out;
    }
}

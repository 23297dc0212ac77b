package dev.wassette.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/** Policies in the policy-mcp format: as a document tree (for JSON) or as YAML text. */
public final class PolicyWriter {
    private PolicyWriter() {}

    /** The policy as YAML text. */
    public static String toYaml(Policy p) {
        DumpSettings settings = DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build();
        return new Dump(settings).dumpToString(toTree(p));
    }

    /**
     * The policy-mcp document as plain maps, lists and strings, in document order: what
     * {@link #toYaml} writes, and what a JSON mapper turns into the same document as JSON.
     */
    public static Map<String, Object> toTree(Policy p) {
        Map<String, Object> permissions = new LinkedHashMap<>();
        Map<String, Object> storage = new LinkedHashMap<>();
        if (!p.storageAllow().isEmpty()) {
            storage.put("allow", p.storageAllow().stream().map(PolicyWriter::storage).toList());
        }
        if (!p.storageDeny().isEmpty()) {
            storage.put("deny", p.storageDeny().stream().map(PolicyWriter::storage).toList());
        }
        if (!storage.isEmpty()) {
            permissions.put("storage", storage);
        }
        Map<String, Object> network = new LinkedHashMap<>();
        if (!p.networkAllow().isEmpty()) {
            network.put("allow", p.networkAllow().stream().map(PolicyWriter::network).toList());
        }
        if (!p.networkDeny().isEmpty()) {
            network.put("deny", p.networkDeny().stream().map(PolicyWriter::network).toList());
        }
        if (!network.isEmpty()) {
            permissions.put("network", network);
        }
        if (!p.environmentAllow().isEmpty()) {
            permissions.put("environment", Map.of("allow", p.environmentAllow().stream().map(k -> Map.of("key", k)).toList()));
        }
        Map<String, Object> limits = new LinkedHashMap<>();
        if (p.resources().cpuMillis() != null) {
            limits.put("cpu", p.resources().cpuMillis() + "m");
        }
        if (p.resources().memoryBytes() != null) {
            long b = p.resources().memoryBytes();
            limits.put("memory", size(b));
        }
        Map<String, Object> quotas = new LinkedHashMap<>();
        Policy.Quotas q = p.resources().quotas();
        if (q.concurrentCalls() != null) {
            quotas.put("concurrent_calls", q.concurrentCalls());
        }
        if (q.callsPerMinute() != null) {
            quotas.put("calls_per_minute", q.callsPerMinute());
        }
        if (q.outboundRequests() != null) {
            quotas.put("outbound_requests", q.outboundRequests());
        }
        if (q.outboundBytes() != null) {
            quotas.put("outbound_bytes", size(q.outboundBytes()));
        }
        Map<String, Object> resources = new LinkedHashMap<>();
        if (!limits.isEmpty()) {
            resources.put("limits", limits);
        }
        if (!quotas.isEmpty()) {
            resources.put("quotas", quotas);
        }
        if (!resources.isEmpty()) {
            permissions.put("resources", resources);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", p.version() == null ? "1.0" : p.version());
        if (p.description() != null) {
            root.put("description", p.description());
        }
        root.put("permissions", permissions);
        return root;
    }

    private static Map<String, Object> storage(Policy.StorageRule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("uri", r.uri());
        List<String> access = new ArrayList<>();
        for (Policy.Access a : Policy.Access.values()) {
            if (r.access().contains(a)) {
                access.add(a.name().toLowerCase(Locale.ROOT));
            }
        }
        m.put("access", access);
        return m;
    }

    private static Map<String, Object> network(Policy.NetworkRule r) {
        return r.host() != null ? Map.of("host", r.host()) : Map.of("cidr", r.cidr());
    }

    /** Bytes in the largest binary unit that divides them: {@code 10Mi}, {@code 64Ki}, or a plain number. */
    private static String size(long b) {
        return b % (1L << 20) == 0 ? (b >> 20) + "Mi" : b % 1024 == 0 ? (b >> 10) + "Ki" : String.valueOf(b);
    }
}

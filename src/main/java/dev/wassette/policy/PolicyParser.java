package dev.wassette.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Parses and validates policies in either of two forms onto the one {@link Policy} model:
 * <ul>
 * <li>policy-mcp YAML (Wassette's): {@code version} and {@code permissions} with storage, network,
 * environment and resources rules;</li>
 * <li>the capability form: {@code capabilities} with {@code filesystem: {read: [paths], write: [paths]}},
 * {@code network: none | {outbound: ["host:port", …]}} and {@code environment: [KEYS]}. Each path
 * becomes a storage rule for its whole tree (a path under both read and write is read-write; write
 * alone is what it says, which WASI cannot grant, so it is reported and not granted); each outbound
 * entry becomes a network rule for that host and, when given, that port only (or a CIDR rule).</li>
 * </ul>
 * Collects every problem (not just the first) as {@code FILE:LINE: message}, naming the field;
 * sections this runtime cannot enforce ({@code runtime}, {@code ipc}, {@code resources.io}) and
 * unknown keys become warnings, never silently dropped.
 */
public final class PolicyParser {
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
    private static final Pattern HOST_LABELS = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");
    private static final Pattern MEMORY = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(Ki|Mi|Gi|Ti|K|M|G|T|k|B)?");

    private final String file;
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<Policy.StorageRule> storageAllow = new ArrayList<>();
    private final List<Policy.StorageRule> storageDeny = new ArrayList<>();
    private final List<Policy.NetworkRule> networkAllow = new ArrayList<>();
    private final List<Policy.NetworkRule> networkDeny = new ArrayList<>();
    private final List<String> envAllow = new ArrayList<>();
    private Policy.Resources resources = Policy.Resources.NONE;

    private PolicyParser(String file) {
        this.file = file;
    }

    /**
     * Reads and parses a policy file; problems name the file.
     *
     * @param path the policy file (YAML)
     * @return the policy
     * @throws PolicyException if the policy is invalid (every problem found)
     * @throws IOException if the file cannot be read
     */
    public static Policy parse(Path path) throws PolicyException, IOException {
        return parse(Files.readString(path), path.toString());
    }

    /** Parses policy text; {@code label} names the source in messages. */
    public static Policy parse(String yaml, String label) throws PolicyException {
        return new PolicyParser(label).run(yaml);
    }

    private Policy run(String yaml) throws PolicyException {
        return document(composeDocument(yaml, file, "policy"));
    }

    /**
     * The YAML node tree of a document, with line numbers (for parsers of documents that embed a
     * policy, see {@link #parseEmbedded}); {@code what} names the kind of document in messages. A
     * key given twice in one mapping is an error (YAML composes it; a document saying the same thing
     * twice is ambiguous).
     */
    public static Node composeDocument(String yaml, String file, String what) throws PolicyException {
        Node root;
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(file).setAllowDuplicateKeys(false).build();
            Composer composer = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, yaml)));
            Optional<Node> node = composer.getSingleNode();
            if (node.isEmpty()) {
                throw new PolicyException(List.of(file + ":1: the " + what + " is empty"));
            }
            root = node.get();
        } catch (MarkedYamlEngineException e) {
            int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(1);
            throw new PolicyException(List.of(file + ":" + line + ": invalid YAML: " + e.getProblem()));
        } catch (YamlEngineException e) {
            throw new PolicyException(List.of(file + ":1: invalid YAML: " + e.getMessage()));
        } catch (RuntimeException e) {
            // The YAML library fails on some malformed input with its own exceptions (PolicyYamlFuzzTest
            // found "!--:%A": an IllegalArgumentException about a tag); still only bad input.
            throw new PolicyException(List.of(file + ":1: invalid YAML: " + e.getMessage()));
        }
        PolicyParser duplicates = new PolicyParser(file);
        duplicates.checkDuplicateKeys(root);
        if (!duplicates.errors.isEmpty()) {
            throw new PolicyException(duplicates.errors);
        }
        return root;
    }

    /**
     * The permissions of a policy embedded in another YAML document (a provisioning manifest's
     * {@code permissions}): either a policy-mcp {@code permissions} section, or a mapping with the
     * key {@code capabilities} (the capability form). Messages carry {@code label} and the node's
     * own line numbers, so they point into the embedding file. The node comes from
     * {@link #composeDocument}, which has checked it for duplicate keys.
     */
    public static Policy parseEmbedded(Node permissions, String label) throws PolicyException {
        PolicyParser parser = new PolicyParser(label);
        if (permissions instanceof MappingNode m && valueOrNull(m, "capabilities") != null) {
            return parser.capabilityForm(m);
        }
        parser.permissions(permissions);
        return parser.build("1.0", null);
    }

    private Policy document(Node root) throws PolicyException {
        if (!(root instanceof MappingNode top)) {
            throw new PolicyException(List.of(at(root) + "a policy must be a mapping with version and permissions (policy-mcp) or with capabilities"));
        }
        return valueOrNull(top, "capabilities") != null ? capabilityForm(top) : policyMcp(top);
    }

    private Policy policyMcp(MappingNode top) throws PolicyException {
        String version = null;
        String description = null;
        Node permissions = null;
        for (NodeTuple t : top.getValue()) {
            String key = key(t);
            switch (key) {
                case "version" -> version = scalar(t.getValueNode(), "version");
                case "description" -> description = scalar(t.getValueNode(), "description");
                case "permissions" -> permissions = t.getValueNode();
                default -> warn(t.getKeyNode(), "unknown key \"" + key + "\" ignored");
            }
        }
        if (version == null) {
            error(top, "missing \"version\" (expected \"1.0\")");
        } else {
            checkVersion(top, version);
        }
        if (permissions == null) {
            warn(top, "no \"permissions\": nothing is allowed");
        } else {
            permissions(permissions);
        }
        return build(version, description);
    }

    private void checkVersion(MappingNode top, String version) {
        if (!version.matches("1(\\.\\d+)*")) {
            error(valueOf(top, "version"), "unsupported policy version \"" + version + "\" (only 1.x)");
        }
    }

    private Policy build(String version, String description) throws PolicyException {
        if (!errors.isEmpty()) {
            throw new PolicyException(errors);
        }
        return new Policy(version, description, storageAllow, storageDeny, networkAllow, networkDeny, envAllow, resources, warnings);
    }

    /** A policy-mcp {@code permissions} section. */
    private void permissions(Node permissions) {
        if (isNull(permissions)) {
            return;
        }
        if (!(permissions instanceof MappingNode perms)) {
            error(permissions, "\"permissions\" must be a mapping");
            return;
        }
        for (NodeTuple t : perms.getValue()) {
            String key = key(t);
            Node value = t.getValueNode();
            switch (key) {
                case "storage" -> allowDeny(value, "storage", (n, deny) -> storageRule(n, deny ? storageDeny : storageAllow));
                case "network" -> allowDeny(value, "network", (n, deny) -> networkRule(n, deny ? networkDeny : networkAllow));
                case "environment" -> allowDeny(value, "environment", (n, deny) -> {
                    if (deny) {
                        warn(n, "environment deny rules are redundant: only allowed keys are ever visible");
                    } else {
                        envRule(n, envAllow);
                    }
                });
                case "resources" -> resources = resources(value);
                case "runtime" -> warn(t.getKeyNode(), "\"runtime\" (docker, hyperlight) is not enforced: components always run in Wasmtime");
                case "ipc" -> warn(t.getKeyNode(), "\"ipc\" is not enforced: components have no IPC channels here");
                case "capabilities" -> error(t.getKeyNode(), "\"capabilities\" belongs at the top level of a policy, not under \"permissions\"");
                default -> warn(t.getKeyNode(), "unknown permission section \"" + key + "\" ignored");
            }
        }
    }

    // ---- The capability form ----

    private Policy capabilityForm(MappingNode top) throws PolicyException {
        String version = "1.0";
        String description = null;
        for (NodeTuple t : top.getValue()) {
            String key = key(t);
            switch (key) {
                case "capabilities" -> capabilities(t.getValueNode());
                case "description" -> description = scalar(t.getValueNode(), "description");
                case "version" -> {
                    version = scalar(t.getValueNode(), "version");
                    if (version != null) {
                        checkVersion(top, version);
                    }
                }
                case "permissions" -> error(t.getKeyNode(), "a policy has either \"capabilities\" (capability form) or \"permissions\" (policy-mcp form), not both");
                default -> warn(t.getKeyNode(), "unknown key \"" + key + "\" ignored");
            }
        }
        return build(version, description);
    }

    private void capabilities(Node caps) {
        if (isNull(caps)) {
            warn(caps, "\"capabilities\" is empty: nothing is allowed");
            return;
        }
        if (!(caps instanceof MappingNode m)) {
            error(caps, "\"capabilities\" must be a mapping with filesystem, network and/or environment");
            return;
        }
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            Node value = t.getValueNode();
            switch (key) {
                case "filesystem" -> filesystem(value);
                case "network" -> network(value);
                case "environment" -> environment(value);
                default -> warn(t.getKeyNode(), "unknown capability \"" + key + "\" ignored: nothing is granted for it");
            }
        }
    }

    /** {@code none}, or {@code {read: [paths], write: [paths]}}: each path's whole tree, access merged per path. */
    private void filesystem(Node node) {
        if (isNone(node)) {
            return;
        }
        if (!(node instanceof MappingNode m)) {
            error(node, "capabilities.filesystem must be none or a mapping {read: [paths], write: [paths]}");
            return;
        }
        Map<String, Set<Policy.Access>> access = new LinkedHashMap<>();
        Map<String, Node> firstSeen = new LinkedHashMap<>();
        Map<String, String> written = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            Policy.Access kind = switch (key) {
                case "read" -> Policy.Access.READ;
                case "write" -> Policy.Access.WRITE;
                default -> null;
            };
            if (kind == null) {
                warn(t.getKeyNode(), "unknown key \"" + key + "\" in capabilities.filesystem ignored (read, write)");
                continue;
            }
            String field = "capabilities.filesystem." + key;
            List<Node> items = list(t.getValueNode(), field, "paths");
            for (int i = 0; i < items.size(); i++) {
                Node item = items.get(i);
                String path = scalar(item, field + "[" + i + "]");
                String uri = path == null ? null : treeUri(item, field + "[" + i + "]", path);
                if (uri != null) {
                    access.computeIfAbsent(uri, u -> EnumSet.noneOf(Policy.Access.class)).add(kind);
                    firstSeen.putIfAbsent(uri, item);
                    if (kind == Policy.Access.WRITE) {
                        written.putIfAbsent(uri, path);
                    }
                }
            }
        }
        access.forEach((uri, granted) -> {
            Node where = firstSeen.get(uri);
            if (!granted.contains(Policy.Access.READ)) {
                warn(where, "capabilities.filesystem.write \"" + written.get(uri) + "\" is not under read: WASI cannot grant write without read,"
                        + " so it is not granted; list it under read as well for read-write access");
            }
            storageAllow.add(new Policy.StorageRule(uri, granted, line(where)));
        });
    }

    /**
     * The storage URI of a path's whole tree: {@code ./data} and {@code data} → {@code fs://data/**},
     * {@code /assets} → {@code fs:///assets/**}, {@code .} → {@code fs://./**}. Null (with an error
     * naming {@code field}) for what is not a plain path.
     */
    private String treeUri(Node node, String field, String path) {
        String what = field + " \"" + path + "\"";
        if (path.isBlank()) {
            error(node, field + ": empty path");
            return null;
        }
        if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            error(node, field + ": a path must not contain control characters");
            return null;
        }
        if (path.contains("://")) {
            error(node, what + ": a path, not a URI (e.g. ./data or /srv/data)");
            return null;
        }
        if (path.startsWith("~")) {
            error(node, what + ": \"~\" is not expanded; write the absolute path");
            return null;
        }
        boolean absolute = path.startsWith("/");
        List<String> segments = new ArrayList<>();
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                error(node, what + ": must not contain \"..\"");
                return null;
            }
            if (segment.contains("**") && !segment.equals("**")) {
                error(node, what + ": \"**\" must be a whole path segment");
                return null;
            }
            segments.add(segment);
        }
        if (!segments.isEmpty() && segments.getLast().equals("**")) {
            segments.removeLast(); // the tree is implied
        }
        String base = String.join("/", segments);
        return absolute ? "fs:///" + base + (base.isEmpty() ? "**" : "/**") : "fs://" + (base.isEmpty() ? "." : base) + "/**";
    }

    /** {@code none}, or {@code {outbound: ["host:port", "host", "*.suffix:443", "10.0.0.0/8"]}}. */
    private void network(Node node) {
        if (isNone(node)) {
            return;
        }
        if (!(node instanceof MappingNode m)) {
            error(node, "capabilities.network must be none or a mapping {outbound: [\"host:port\", …]}");
            return;
        }
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            if (key.equals("inbound")) {
                warn(t.getKeyNode(), "capabilities.network.inbound ignored: components are never allowed to accept connections");
                continue;
            }
            if (!key.equals("outbound")) {
                warn(t.getKeyNode(), "unknown key \"" + key + "\" in capabilities.network ignored (outbound)");
                continue;
            }
            List<Node> items = list(t.getValueNode(), "capabilities.network.outbound", "destinations");
            for (int i = 0; i < items.size(); i++) {
                String field = "capabilities.network.outbound[" + i + "]";
                Node item = items.get(i);
                String entry = scalar(item, field);
                if (entry != null) {
                    outbound(item, field, entry.trim());
                }
            }
        }
    }

    private void outbound(Node node, String field, String entry) {
        String what = field + " \"" + entry + "\"";
        if (entry.isEmpty()) {
            error(node, field + ": empty destination");
        } else if (entry.contains("://")) {
            error(node, what + ": write host:port, without a scheme");
        } else if (entry.contains("/") && !looksLikeAddress(entry.substring(0, entry.indexOf('/')))) {
            error(node, what + ": write host:port, without a path (\"/\" is for CIDR networks such as 10.0.0.0/8)");
        } else if (entry.contains("/")) {
            try {
                Cidr.parse(entry);
                networkAllow.add(new Policy.NetworkRule(null, entry, line(node)));
            } catch (IllegalArgumentException e) {
                error(node, what + ": not host:port, and not a CIDR network: " + e.getMessage());
            }
        } else {
            String problem = hostProblem(entry);
            if (problem != null) {
                error(node, what + ": " + problem);
            } else {
                networkAllow.add(new Policy.NetworkRule(entry, null, line(node)));
            }
        }
    }

    /** Digits and dots (IPv4) or containing a colon (IPv6): meant as the address of a CIDR network. */
    private static boolean looksLikeAddress(String s) {
        return s.matches("[0-9.]+") || s.contains(":") && s.matches("[0-9A-Fa-f:.]+");
    }

    /** {@code none}, or a list of variable names. */
    private void environment(Node node) {
        if (isNone(node)) {
            return;
        }
        List<Node> items = list(node, "capabilities.environment", "variable names");
        for (int i = 0; i < items.size(); i++) {
            String field = "capabilities.environment[" + i + "]";
            String key = scalar(items.get(i), field);
            if (key == null) {
                continue;
            }
            String problem = envKeyProblem(key);
            if (problem != null) {
                error(items.get(i), field + " \"" + key + "\": " + problem);
            } else if (!envAllow.contains(key)) {
                envAllow.add(key);
            }
        }
    }

    /** The items of a YAML list (empty for null); anything else is an error naming {@code field}. */
    private List<Node> list(Node node, String field, String of) {
        if (isNull(node)) {
            return List.of();
        }
        if (node instanceof SequenceNode seq) {
            return seq.getValue();
        }
        error(node, field + " must be a list of " + of);
        return List.of();
    }

    /** Absent, null or the word {@code none}. */
    private static boolean isNone(Node node) {
        return node == null || isNull(node) || node instanceof ScalarNode s && s.getValue().equals("none");
    }

    /** YAML allows composing duplicate keys; a policy saying the same thing twice is an error. */
    private void checkDuplicateKeys(Node node) {
        if (node instanceof MappingNode m) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (NodeTuple t : m.getValue()) {
                String key = key(t);
                if (!seen.add(key)) {
                    error(t.getKeyNode(), "duplicate key \"" + key + "\"");
                }
                checkDuplicateKeys(t.getValueNode());
            }
        } else if (node instanceof SequenceNode seq) {
            seq.getValue().forEach(this::checkDuplicateKeys);
        }
    }

    private interface RuleReader {
        void read(Node rule, boolean deny);
    }

    private void allowDeny(Node section, String name, RuleReader reader) {
        if (isNull(section)) {
            return;
        }
        if (!(section instanceof MappingNode m)) {
            error(section, "\"" + name + "\" must be a mapping with \"allow\" and/or \"deny\"");
            return;
        }
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            boolean deny;
            if (key.equals("allow")) {
                deny = false;
            } else if (key.equals("deny")) {
                deny = true;
            } else {
                warn(t.getKeyNode(), "unknown key \"" + key + "\" in " + name + " ignored");
                continue;
            }
            Node list = t.getValueNode();
            if (isNull(list)) {
                continue;
            }
            if (!(list instanceof SequenceNode seq)) {
                error(list, name + "." + key + " must be a list of rules");
                continue;
            }
            for (Node rule : seq.getValue()) {
                reader.read(rule, deny);
            }
        }
    }

    private void storageRule(Node rule, List<Policy.StorageRule> out) {
        if (!(rule instanceof MappingNode m)) {
            error(rule, "a storage rule must be a mapping {uri, access}");
            return;
        }
        String uri = null;
        int errorsBefore = errors.size();
        Set<Policy.Access> access = EnumSet.noneOf(Policy.Access.class);
        boolean accessGiven = false;
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            switch (key) {
                case "uri" -> uri = scalar(t.getValueNode(), "uri");
                case "access" -> {
                    accessGiven = true;
                    Node v = t.getValueNode();
                    List<Node> items = v instanceof SequenceNode s ? s.getValue() : List.of(v);
                    for (Node item : items) {
                        String a = scalar(item, "access");
                        if (a == null) {
                            continue;
                        }
                        switch (a.toLowerCase(Locale.ROOT)) {
                            case "read" -> access.add(Policy.Access.READ);
                            case "write" -> access.add(Policy.Access.WRITE);
                            default -> error(item, "unknown access \"" + a + "\" (expected read or write)");
                        }
                    }
                }
                default -> warn(t.getKeyNode(), "unknown key \"" + key + "\" in storage rule ignored");
            }
        }
        if (uri == null) {
            error(rule, "storage rule without \"uri\"");
            return;
        }
        if (!uri.startsWith("fs://") || uri.length() == "fs://".length()) {
            error(rule, "storage uri \"" + uri + "\" must look like fs:///absolute/path or fs://relative/path");
            return;
        }
        if (uri.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            error(rule, "storage uri must not contain control characters");
            return;
        }
        String path = uri.substring("fs://".length());
        for (String segment : path.split("/")) {
            if (segment.contains("**") && !segment.equals("**")) {
                error(rule, "storage uri \"" + uri + "\": \"**\" must be a whole path segment");
                return;
            }
            if (segment.equals("..")) {
                error(rule, "storage uri \"" + uri + "\" must not contain \"..\"");
                return;
            }
        }
        if (errors.size() > errorsBefore) {
            return;
        }
        if (!accessGiven || access.isEmpty()) {
            error(rule, "storage rule for \"" + uri + "\" needs access: [read] and/or [write]");
            return;
        }
        out.add(new Policy.StorageRule(uri, access, line(rule)));
    }

    private void networkRule(Node rule, List<Policy.NetworkRule> out) {
        if (!(rule instanceof MappingNode m)) {
            error(rule, "a network rule must be a mapping {host} or {cidr}");
            return;
        }
        String host = null;
        String cidr = null;
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            switch (key) {
                case "host" -> host = scalar(t.getValueNode(), "host");
                case "cidr" -> cidr = scalar(t.getValueNode(), "cidr");
                default -> warn(t.getKeyNode(), "unknown key \"" + key + "\" in network rule ignored");
            }
        }
        if ((host == null) == (cidr == null)) {
            error(rule, "a network rule needs exactly one of \"host\" or \"cidr\"");
            return;
        }
        if (host != null) {
            String problem = hostProblem(host);
            if (problem != null) {
                error(rule, "host \"" + host + "\": " + problem);
                return;
            }
        } else {
            try {
                Cidr.parse(cidr);
            } catch (IllegalArgumentException e) {
                error(rule, "cidr \"" + cidr + "\": " + e.getMessage());
                return;
            }
        }
        out.add(new Policy.NetworkRule(host, cidr, line(rule)));
    }

    /** Null when {@code host} is a valid host rule: optional scheme, name, {@code *.suffix} or {@code *}, optional port/path. */
    static String hostProblem(String host) {
        HostPattern p;
        try {
            p = HostPattern.parse(host);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        String name = p.host();
        if (name.equals("*")) {
            return null;
        }
        String bare = name.startsWith("*.") ? name.substring(2) : name;
        if (bare.contains("*")) {
            return "wildcards are allowed only as a leading \"*.\" (or \"*\" alone)";
        }
        if (bare.startsWith("[") || bare.contains(":")) {
            return null; // IPv6 literal, checked by HostPattern
        }
        if (!HOST_LABELS.matcher(bare).matches()) {
            return "not a valid host name";
        }
        return null;
    }

    private void envRule(Node rule, List<String> out) {
        if (!(rule instanceof MappingNode m)) {
            error(rule, "an environment rule must be a mapping {key}");
            return;
        }
        String key = null;
        for (NodeTuple t : m.getValue()) {
            String k = key(t);
            if (k.equals("key")) {
                key = scalar(t.getValueNode(), "key");
            } else {
                warn(t.getKeyNode(), "unknown key \"" + k + "\" in environment rule ignored");
            }
        }
        if (key == null) {
            error(rule, "environment rule without \"key\"");
        } else if (envKeyProblem(key) != null) {
            error(rule, "environment key \"" + key + "\": " + envKeyProblem(key));
        } else if (!out.contains(key)) {
            out.add(key);
        }
    }

    private static String envKeyProblem(String key) {
        if (key.contains("*") || key.contains("?")) {
            return "wildcards are not allowed";
        }
        return ENV_KEY.matcher(key).matches() ? null : "not a valid variable name";
    }

    private Policy.Resources resources(Node node) {
        if (isNull(node)) {
            return Policy.Resources.NONE;
        }
        if (!(node instanceof MappingNode m)) {
            error(node, "\"resources\" must be a mapping");
            return Policy.Resources.NONE;
        }
        Long memory = null;
        Long cpu = null;
        Policy.Quotas quotas = Policy.Quotas.NONE;
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            Node v = t.getValueNode();
            switch (key) {
                case "quotas" -> {
                    if (v instanceof MappingNode q) {
                        for (NodeTuple qt : q.getValue()) {
                            String qk = key(qt);
                            if (!Policy.Quotas.NAMES.contains(qk)) {
                                error(qt.getKeyNode(), "unknown quota \"" + qk + "\" (known: " + String.join(", ", Policy.Quotas.NAMES) + ")");
                                continue;
                            }
                            Long value = Policy.Quotas.isByteQuota(qk)
                                    ? size(qt.getValueNode(), "resources.quotas." + qk, Policy.Quotas.maximum(qk))
                                    : positiveInt(qt.getValueNode(), "resources.quotas." + qk);
                            if (value != null) {
                                quotas = quotas.with(qk, value);
                            }
                        }
                    } else if (!isNull(v)) {
                        error(v, "resources.quotas must be a mapping {" + String.join(", ", Policy.Quotas.NAMES) + "}");
                    }
                }
                case "limits" -> {
                    if (v instanceof MappingNode limits) {
                        for (NodeTuple lt : limits.getValue()) {
                            String lk = key(lt);
                            switch (lk) {
                                case "memory" -> memory = memoryBytes(lt.getValueNode(), false);
                                case "cpu" -> cpu = cpuMillis(lt.getValueNode(), false);
                                default -> warn(lt.getKeyNode(), "unknown resource limit \"" + lk + "\" ignored");
                            }
                        }
                    } else if (!isNull(v)) {
                        error(v, "resources.limits must be a mapping {cpu, memory}");
                    }
                }
                case "memory" -> memory = memoryBytes(v, true);
                case "cpu" -> cpu = cpuMillis(v, true);
                case "io" -> warn(t.getKeyNode(), "\"resources.io\" is not enforced");
                default -> warn(t.getKeyNode(), "unknown resource \"" + key + "\" ignored");
            }
        }
        return new Policy.Resources(memory, cpu, quotas);
    }

    /** A whole number from 1 to 1 000 000, or an error at {@code node} and null. */
    private Long positiveInt(Node node, String what) {
        String s = scalar(node, what);
        if (s == null) {
            return null;
        }
        try {
            long v = Long.parseLong(s.strip());
            if (v >= 1 && v <= 1_000_000) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        error(node, what + " must be a whole number from 1 to 1000000, got \"" + s + "\"");
        return null;
    }

    /** A size ({@code "10Mi"}, {@code "1000000"} bytes) up to {@code maximum}, or an error at {@code node} and null. */
    private Long size(Node node, String what, long maximum) {
        String s = scalar(node, what);
        if (s == null) {
            return null;
        }
        try {
            long bytes = parseSize(s);
            if (bytes <= maximum) {
                return bytes;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        error(node, what + " must be a size from 1 byte to " + maximum + " (e.g. 64Ki, 10Mi), got \"" + s + "\"");
        return null;
    }

    /**
     * A size in bytes: {@code 10Mi}, {@code 64Ki}, {@code 1G} (decimal units), or a bare number of bytes.
     *
     * @throws IllegalArgumentException if it is not a positive size
     */
    public static long parseSize(String text) {
        return parseMemory(text, false);
    }

    /** {@code "512Mi"}, {@code "1Gi"}, {@code "1000000"} (bytes); the legacy bare number is MiB. */
    private Long memoryBytes(Node node, boolean legacy) {
        String s = scalar(node, "memory");
        if (s == null) {
            return null;
        }
        try {
            return parseMemory(s, legacy);
        } catch (IllegalArgumentException e) {
            error(node, e.getMessage());
            return null;
        }
    }

    /**
     * A memory size: {@code 512Mi}, {@code 1Gi}, {@code 64Ki}, {@code 1G} (decimal units), or a bare
     * number: bytes, or MiB when {@code bareIsMiB} (the legacy {@code resources.memory} form).
     */
    public static long parseMemory(String text, boolean bareIsMiB) {
        var matcher = MEMORY.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("memory \"" + text + "\" is not a size (e.g. 512Mi, 1Gi, or a number of MiB)");
        }
        double n = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2);
        long mult = unit == null ? (bareIsMiB ? 1L << 20 : 1) : switch (unit) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "K", "k" -> 1000L;
            case "M" -> 1000_000L;
            case "G" -> 1000_000_000L;
            case "T" -> 1000_000_000_000L;
            default -> 1;
        };
        long bytes = (long) (n * mult);
        if (bytes <= 0) {
            throw new IllegalArgumentException("memory limit must be positive");
        }
        return bytes;
    }

    /** {@code "500m"} (millicores), {@code "2"} or {@code 0.5} (cores); legacy top-level numbers are percent of one core. */
    private Long cpuMillis(Node node, boolean legacyPercent) {
        String s = scalar(node, "cpu");
        if (s == null) {
            return null;
        }
        s = s.trim();
        try {
            long millis;
            if (s.endsWith("m")) {
                millis = Long.parseLong(s.substring(0, s.length() - 1));
            } else if (legacyPercent) {
                millis = Math.round(Double.parseDouble(s) * 10);
            } else {
                millis = Math.round(Double.parseDouble(s) * 1000);
            }
            if (millis <= 0) {
                error(node, "cpu limit must be positive");
                return null;
            }
            return millis;
        } catch (NumberFormatException e) {
            error(node, "cpu \"" + s + "\" is not a CPU amount (e.g. 500m, 0.5, 2)");
            return null;
        }
    }

    private String key(NodeTuple t) {
        return t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "<complex key>";
    }

    private String scalar(Node node, String what) {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        error(node, "\"" + what + "\" must be a single value");
        return null;
    }

    private static boolean isNull(Node node) {
        return node instanceof ScalarNode s && s.getTag().getValue().endsWith(":null");
    }

    private static Node valueOrNull(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return null;
    }

    private static Node valueOf(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return m;
    }

    private static int line(Node node) {
        return node.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
    }

    private String at(Node node) {
        return file + ":" + Math.max(1, line(node)) + ": ";
    }

    private void error(Node node, String message) {
        errors.add(at(node) + message);
    }

    private void warn(Node node, String message) {
        warnings.add(at(node) + message);
    }
}

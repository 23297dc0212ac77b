package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * A provisioning manifest: the components a server loads at start-up, each pinned and granted.
 *
 * <pre>
 * components:
 *   - uri: ./io.wasm                # file:// URI or path (relative to the manifest); oci://, https://
 *     name: io                      # the component id (default: from the uri)
 *     digest: sha256:…              # required for oci:// and https://; checked for files when given
 *     permissions:                  # policy-mcp permissions section, or {capabilities: …}; default: none
 *       storage: { allow: [{uri: "fs://data/**", access: [read]}] }
 * </pre>
 *
 * Relative paths, of components and in permissions alike, resolve against the manifest's directory.
 *
 * The top level may also be the list itself. Every problem is reported at once, each as
 * {@code FILE:LINE: component "NAME" (entry N, URI): message}; unknown keys are errors (a misspelt
 * {@code digest} must not turn a pin off).
 */
public record ProvisioningManifest(Path file, byte[] content, List<Entry> entries) {
    private static final Set<String> ENTRY_KEYS = Set.of("uri", "name", "id", "digest", "permissions");

    /**
     * One component of the manifest.
     *
     * @param index       1-based position in the manifest
     * @param line        its line in the manifest
     * @param digest      {@code sha256:…}, or null
     * @param permissions what it is granted (none when the entry says nothing)
     */
    public record Entry(int index, int line, String uri, String id, String digest, Policy permissions, String label) {
        /** {@code FILE:LINE: component "io" (entry 2, ./io.wasm)}, how messages name it. */
        public String describe() {
            return label + ":" + line + ": component \"" + id + "\" (entry " + index + ", " + uri + ")";
        }
    }

    /** An invalid manifest: every problem, each naming the file, line and entry. */
    public static final class ManifestException extends Exception {
        private final List<String> problems;

        public ManifestException(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    public ProvisioningManifest {
        entries = List.copyOf(entries);
    }

    /** Where relative component paths resolve: the manifest's directory. */
    public Path directory() {
        return file.toAbsolutePath().getParent();
    }

    public static ProvisioningManifest read(Path file) throws ManifestException, IOException {
        byte[] content = Files.readAllBytes(file);
        String label = file.toString();
        Node root;
        try {
            root = PolicyParser.composeDocument(new String(content, StandardCharsets.UTF_8), label, "manifest");
        } catch (PolicyException e) {
            throw new ManifestException(e.problems());
        }
        List<String> problems = new ArrayList<>();
        Node list = root;
        if (root instanceof MappingNode top) {
            list = null;
            for (NodeTuple t : top.getValue()) {
                String key = key(t);
                switch (key) {
                    case "components" -> list = t.getValueNode();
                    case "version" -> {
                        if (!(t.getValueNode() instanceof ScalarNode v) || !v.getValue().matches("1(\\.0)?")) {
                            problems.add(at(label, t.getValueNode()) + "unsupported manifest version (only 1)");
                        }
                    }
                    default -> problems.add(at(label, t.getKeyNode()) + "unknown key \"" + key + "\" (components, version)");
                }
            }
            if (list == null) {
                problems.add(at(label, root) + "no \"components\": a manifest lists the components to load");
            }
        }
        List<Entry> entries = new ArrayList<>();
        if (list != null && !(list instanceof SequenceNode)) {
            problems.add(at(label, list) + "\"components\" must be a list of {uri, name, digest, permissions}");
        } else if (list != null) {
            Map<String, Entry> byId = new HashMap<>();
            List<Node> items = ((SequenceNode) list).getValue();
            for (int i = 0; i < items.size(); i++) {
                Entry e = entry(file, label, i + 1, items.get(i), problems);
                if (e == null) {
                    continue;
                }
                Entry before = byId.putIfAbsent(e.id(), e);
                if (before != null) {
                    problems.add(e.describe() + ": the name is already used by entry " + before.index() + " (line " + before.line() + ")");
                    continue;
                }
                entries.add(e);
            }
        }
        if (!problems.isEmpty()) {
            throw new ManifestException(problems);
        }
        return new ProvisioningManifest(file.toAbsolutePath(), content, entries);
    }

    /** An entry, or null with its problems added. */
    private static Entry entry(Path file, String label, int index, Node node, List<String> problems) {
        String where = at(label, node) + "entry " + index;
        if (!(node instanceof MappingNode m)) {
            problems.add(where + " must be a mapping {uri, name, digest, permissions}");
            return null;
        }
        String uri = null;
        String name = null;
        String digest = null;
        Node permissions = null;
        int before = problems.size();
        for (NodeTuple t : m.getValue()) {
            String key = key(t);
            if (!ENTRY_KEYS.contains(key)) {
                problems.add(at(label, t.getKeyNode()) + "entry " + index + ": unknown key \"" + key + "\" (uri, name, digest, permissions)");
                continue;
            }
            if (key.equals("permissions")) {
                permissions = t.getValueNode();
                continue;
            }
            if (!(t.getValueNode() instanceof ScalarNode s) || s.getValue().isBlank()) {
                problems.add(at(label, t.getValueNode()) + "entry " + index + ": \"" + key + "\" must be a non-empty string");
                continue;
            }
            String value = s.getValue().strip();
            switch (key) {
                case "uri" -> uri = value;
                case "digest" -> digest = value;
                default -> { // name, or its synonym id
                    if (name != null) {
                        problems.add(at(label, t.getKeyNode()) + "entry " + index + ": give the component's name once (name or id)");
                    }
                    name = value;
                }
            }
        }
        if (uri == null) {
            if (problems.size() == before) {
                problems.add(where + ": \"uri\" is missing (the component's file:// URI or path, oci:// or https:// reference)");
            }
            return null;
        }
        String id = name != null ? name : ComponentSources.suggestedId(uri);
        String described = at(label, node) + "component \"" + id + "\" (entry " + index + ", " + uri + ")";
        try {
            ComponentStore.checkId(id);
        } catch (IllegalArgumentException e) {
            problems.add(described + ": " + e.getMessage() + (name == null ? "; give it a name" : ""));
        }
        if (digest != null) {
            try {
                ComponentSources.checkDigest(digest);
            } catch (ComponentSources.SourceException e) {
                problems.add(described + ": " + e.getMessage());
            }
        } else if (ComponentSources.isRemote(uri)) {
            problems.add(described + ": \"digest\" is required for " + ComponentSources.scheme(uri)
                    + ":// sources (sha256:…), so the bytes loaded are the bytes reviewed");
        }
        Policy policy = Policy.denyAll();
        if (permissions != null) {
            try {
                policy = relativeTo(PolicyParser.parseEmbedded(permissions, label), directoryOf(file));
            } catch (PolicyException e) {
                e.problems().forEach(p -> problems.add(p + " (in the permissions of component \"" + id + "\", entry " + index + ")"));
            }
        }
        if (problems.size() > before) {
            return null;
        }
        return new Entry(index, line(node), uri, id, digest, policy, label);
    }

    private static Path directoryOf(Path file) {
        return file.toAbsolutePath().normalize().getParent();
    }

    /**
     * {@code policy} with its relative storage rules resolved against {@code directory}: relative
     * paths in a manifest mean the same wherever the server runs (as its component paths do), not
     * the working directory of each client.
     */
    static Policy relativeTo(Policy policy, Path directory) {
        java.util.function.UnaryOperator<List<Policy.StorageRule>> resolve = rules -> rules.stream().map(r -> {
            String path = r.uri().substring("fs://".length());
            if (path.startsWith("/")) {
                return r;
            }
            String tree = path.endsWith("/**") ? "/**" : path.equals("**") ? "/**" : "";
            String dir = path.substring(0, path.length() - (path.equals("**") ? 2 : tree.length()));
            Path resolved = directory.resolve(dir).normalize();
            return new Policy.StorageRule("fs://" + resolved + tree, r.access(), r.line());
        }).toList();
        return new Policy(policy.version(), policy.description(), resolve.apply(policy.storageAllow()), resolve.apply(policy.storageDeny()),
                policy.networkAllow(), policy.networkDeny(), policy.environmentAllow(), policy.resources(), policy.warnings());
    }

    /**
     * What a server provisioned from this manifest depends on: the manifest's bytes and those of
     * the local component files it names and of the policies they declare (read now). A daemon serving sessions compares it, so a
     * changed manifest, or a changed file it names, gets a daemon provisioned from the new one.
     */
    public String fingerprint() {
        StringBuilder all = new StringBuilder(ComponentMetadata.sha256(content));
        for (Entry e : entries) {
            all.append('\n').append(e.id()).append(' ');
            if (ComponentSources.isRemote(e.uri())) {
                all.append(e.uri()); // pinned by its required digest, which is part of the manifest
                continue;
            }
            try {
                ComponentSources.Fetched fetched = ComponentSources.fetch(e.uri(), directory(), null);
                all.append(fetched.digest());
                if (fetched.declaredPolicy() != null) {
                    all.append(' ').append(ComponentMetadata.sha256(fetched.declaredPolicy().getBytes(StandardCharsets.UTF_8)));
                }
            } catch (ComponentSources.SourceException | IOException ex) {
                all.append("unreadable: ").append(ex.getMessage());
            }
        }
        return ComponentMetadata.sha256(all.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String key(NodeTuple t) {
        return t.getKeyNode() instanceof ScalarNode s ? s.getValue() : "<complex key>";
    }

    private static int line(Node node) {
        return node.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
    }

    private static String at(String label, Node node) {
        return label + ":" + Math.max(1, line(node)) + ": ";
    }
}

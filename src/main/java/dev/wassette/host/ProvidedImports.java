package dev.wassette.host;

import dev.wassette.runtime.Component;
import dev.wassette.runtime.ComponentImport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of a component's imports the {@link ComponentSandbox} linker provides, so that a missing one
 * is reported by name before loading (and every one at once, where Wasmtime names only the first).
 * Wasmtime's linker stays authoritative: this list mirrors what it defines, and a type mismatch
 * inside a provided interface is found only by linking.
 */
public final class ProvidedImports {
    /** Version of the WASI 0.2 interfaces in Wasmtime 50's wasmtime-wasi and wasmtime-wasi-http (their WIT packages). */
    static final String WASI_VERSION = "0.2.12";

    /** What wasmtime_component_linker_add_wasip2 (wasmtime_wasi::p2::add_to_linker_sync) defines, plus our wasi:http. */
    private static final List<String> WASI_INTERFACES = List.of(
            "wasi:io/error", "wasi:io/poll", "wasi:io/streams",
            "wasi:clocks/wall-clock", "wasi:clocks/monotonic-clock",
            "wasi:random/random", "wasi:random/insecure", "wasi:random/insecure-seed",
            "wasi:cli/exit", "wasi:cli/environment", "wasi:cli/stdin", "wasi:cli/stdout", "wasi:cli/stderr",
            "wasi:cli/terminal-input", "wasi:cli/terminal-output",
            "wasi:cli/terminal-stdin", "wasi:cli/terminal-stdout", "wasi:cli/terminal-stderr",
            "wasi:filesystem/types", "wasi:filesystem/preopens",
            "wasi:sockets/network", "wasi:sockets/instance-network", "wasi:sockets/ip-name-lookup",
            "wasi:sockets/tcp", "wasi:sockets/tcp-create-socket", "wasi:sockets/udp", "wasi:sockets/udp-create-socket",
            // Linker.addWasiHttp (native/src/egress.rs): outgoing requests only, no incoming-handler.
            "wasi:http/types", "wasi:http/outgoing-handler");

    /** Strict semver, as the semver crate Wasmtime uses parses it; group 4 is the pre-release. */
    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?");

    /** Exact names the linker defines, and by semver track ("wasi:cli/environment@0.2") the one it falls back to. */
    private static final Map<String, String> EXACT = new HashMap<>();
    private static final Map<String, String> BY_TRACK = new HashMap<>();

    static {
        List<String> all = new ArrayList<>();
        WASI_INTERFACES.forEach(i -> all.add(i + "@" + WASI_VERSION));
        all.add(HostLog.INTERFACE);
        for (String name : all) {
            EXACT.put(name, name);
            String track = semverTrack(name);
            if (track != null) {
                BY_TRACK.put(track, name);
            }
        }
    }

    private ProvidedImports() {}

    /** The exact interface names the sandbox's linker defines. */
    static java.util.Set<String> definitions() {
        return java.util.Set.copyOf(EXACT.keySet());
    }

    public enum Status {
        PROVIDED("provided"), POLICY_GATED("provided, policy-gated"),
        /** Not defined here, but an interface of types alone links without a definition. */
        TYPES_ONLY("types only, nothing to provide"),
        MISSING("missing");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One import and what the server does with it.
     *
     * @param gate the policy permission that opens it ({@code storage}, {@code network}, {@code environment}), or null
     */
    public record Checked(ComponentImport component, Status status, String gate) {
        public String name() {
            return component.name();
        }

        /** "provided", "provided, policy-gated (network)" or "missing". */
        public String describe() {
            return gate == null ? status.label() : status.label() + " (" + gate + ")";
        }
    }

    /** Every import of {@code component}, in its order, with its status. */
    public static List<Checked> check(Component component) {
        return check(component, java.util.Set.of());
    }

    /** {@link #check(Component)} when the embedder also defines {@code hostInterfaces} (exact names) in Java. */
    public static List<Checked> check(Component component, java.util.Set<String> hostInterfaces) {
        return component.imports().stream().map(i -> check(i, hostInterfaces)).toList();
    }

    public static Checked check(ComponentImport imp) {
        return check(imp, java.util.Set.of());
    }

    private static Checked check(ComponentImport imp, java.util.Set<String> hostInterfaces) {
        // The linker defines only interface instances; anything else by that name does not link.
        if (imp.kind() != ComponentImport.Kind.INSTANCE) {
            return new Checked(imp, Status.MISSING, null);
        }
        if (resolve(imp.name()) == null && !resolvesTo(imp.name(), hostInterfaces)) {
            return new Checked(imp, imp.typesOnly() ? Status.TYPES_ONLY : Status.MISSING, null);
        }
        String gate = gate(imp.name());
        return new Checked(imp, gate == null ? Status.PROVIDED : Status.POLICY_GATED, gate);
    }

    /** Whether one of {@code defined} satisfies an import of {@code name}: exactly or by Wasmtime's semver track. */
    private static boolean resolvesTo(String name, java.util.Set<String> defined) {
        if (defined.contains(name)) {
            return true;
        }
        String track = semverTrack(name);
        return track != null && defined.stream().anyMatch(d -> track.equals(semverTrack(d)));
    }

    /** The imports the server cannot provide. */
    public static List<ComponentImport> missing(Component component) {
        return missing(component, java.util.Set.of());
    }

    /** The imports neither the server nor the embedder's {@code hostInterfaces} provide. */
    public static List<ComponentImport> missing(Component component, java.util.Set<String> hostInterfaces) {
        return check(component, hostInterfaces).stream().filter(c -> c.status() == Status.MISSING).map(Checked::component).toList();
    }

    /** "the component imports what this server does not provide: a:b/c@1.0.0 (interface), f (function)". */
    public static String describeMissing(List<ComponentImport> missing) {
        StringBuilder b = new StringBuilder("the component imports what this server does not provide: ");
        for (int i = 0; i < missing.size(); i++) {
            ComponentImport m = missing.get(i);
            b.append(i == 0 ? "" : ", ").append(m.name()).append(" (").append(m.kind().label()).append(')');
        }
        return b.toString();
    }

    /**
     * The definition the linker would use for {@code name}, or null: the exact name first, then
     * Wasmtime's semver fallback (names.rs {@code alternate_lookup_key}) — same major version when
     * it is not 0, else same 0.minor when minor is not 0; never for pre-releases or 0.0.x. Older
     * and newer patch versions both match (wasi:cli/environment@0.2.0 and @0.2.99 use 0.2.12).
     */
    static String resolve(String name) {
        String exact = EXACT.get(name);
        if (exact != null) {
            return exact;
        }
        String track = semverTrack(name);
        return track == null ? null : BY_TRACK.get(track);
    }

    /** {@code name@major} or {@code name@0.minor}, or null when the version has no compatible track. */
    static String semverTrack(String name) {
        int at = name.indexOf('@');
        if (at < 0) {
            return null;
        }
        Matcher m = SEMVER.matcher(name.substring(at + 1));
        if (!m.matches() || m.group(4) != null) {
            return null;
        }
        String base = name.substring(0, at + 1);
        if (!m.group(1).equals("0")) {
            return base + m.group(1);
        }
        if (!m.group(2).equals("0")) {
            return base + "0." + m.group(2);
        }
        return null;
    }

    /** The policy permission behind a provided interface (see PolicyMapping), or null when always available. */
    static String gate(String name) {
        String unversioned = name.indexOf('@') < 0 ? name : name.substring(0, name.indexOf('@'));
        if (unversioned.startsWith("wasi:filesystem/")) {
            return "storage";
        }
        if (unversioned.startsWith("wasi:sockets/") || unversioned.startsWith("wasi:http/")) {
            return "network";
        }
        if (unversioned.equals("wasi:cli/environment")) {
            return "environment";
        }
        return null;
    }
}

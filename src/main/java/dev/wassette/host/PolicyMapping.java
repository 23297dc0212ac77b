package dev.wassette.host;

import dev.wassette.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a policy onto WASI mechanisms.
 * <ul>
 * <li>Storage: {@code fs://dir/**} and {@code fs://dir} (a directory) become a preopen of that
 * directory at the guest path {@code dir} (absolute URIs keep their absolute path); {@code read}
 * alone is read-only, {@code read, write} read-write. WASI cannot grant write without read, a single
 * file, or a glob other than a whole tree, and cannot carve a deny out of an allowed tree: such
 * policies are refused. Deny rules outside every allowed tree are already in force.</li>
 * <li>Environment: each allowed key whose value exists in the environment source.</li>
 * <li>Resources: memory becomes the store's memory limit; CPU ({@code "500m"}) becomes a fuel budget of
 * cores × call timeout × {@value #FUEL_PER_CPU_SECOND} fuel per CPU-second.</li>
 * </ul>
 */
public final class PolicyMapping {
    /** Fuel units a core burns in one second, roughly (one unit per wasm instruction). */
    public static final long FUEL_PER_CPU_SECOND = 1_000_000_000L;

    private PolicyMapping() {}

    /**
     * @param baseDir     where relative {@code fs://} paths are resolved
     * @param environment the environment source (only allowed keys are taken from it)
     * @param callTimeout the wall-clock limit of one call, which the CPU share is taken of
     */
    public static Grants map(Policy policy, Path baseDir, Map<String, String> environment, Duration callTimeout) {
        List<String> notes = new ArrayList<>();
        List<Grants.Preopen> preopens = new ArrayList<>();
        List<Path> trees = new ArrayList<>();
        for (Policy.StorageRule rule : policy.storageAllow()) {
            String path = rule.uri().substring("fs://".length());
            boolean tree = path.endsWith("/**") || path.equals("**");
            String dir = tree ? path.substring(0, Math.max(0, path.length() - 3)) : path;
            if (dir.isEmpty() && path.startsWith("/")) {
                dir = "/";
            }
            if (dir.isEmpty() || dir.contains("*") || dir.contains("?") || dir.contains("[")) {
                throw new UnenforceablePolicyException("storage rule " + rule.uri() + " (line " + rule.line()
                        + "): only whole directory trees (dir/**) or directories can be granted, not other globs");
            }
            if (rule.access().contains(Policy.Access.WRITE) && !rule.access().contains(Policy.Access.READ)) {
                throw new UnenforceablePolicyException("storage rule " + rule.uri() + " (line " + rule.line()
                        + "): WASI cannot grant write without read; grant [read, write] if that is intended");
            }
            Path host = (dir.startsWith("/") ? Path.of(dir) : baseDir.resolve(dir)).toAbsolutePath().normalize();
            if (Files.isRegularFile(host)) {
                throw new UnenforceablePolicyException("storage rule " + rule.uri() + " (line " + rule.line()
                        + "): " + host + " is a file; WASI grants directories, so grant its directory instead");
            }
            if (!Files.isDirectory(host)) {
                notes.add("storage " + rule.uri() + ": " + host + " does not exist; not granted");
                continue;
            }
            String guest = dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
            preopens.add(new Grants.Preopen(host, guest, rule.access().contains(Policy.Access.WRITE)));
            trees.add(host);
        }
        for (Policy.StorageRule deny : policy.storageDeny()) {
            String path = deny.uri().substring("fs://".length());
            String dir = path.replaceAll("/\\*\\*$", "");
            Path host = (dir.startsWith("/") ? Path.of(dir) : baseDir.resolve(dir)).toAbsolutePath().normalize();
            for (Path granted : trees) {
                if (host.startsWith(granted) || dir.contains("*") && host.getParent() != null && host.getParent().startsWith(granted)) {
                    throw new UnenforceablePolicyException("storage deny rule " + deny.uri() + " (line " + deny.line()
                            + ") lies inside the allowed tree " + granted + ", which WASI cannot carve out; narrow the allow rules instead");
                }
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String key : policy.environmentAllow()) {
            String value = environment.get(key);
            if (value != null) {
                env.put(key, value);
            }
        }
        long memory = policy.resources().memoryBytes() == null ? -1 : policy.resources().memoryBytes();
        long fuel = -1;
        if (policy.resources().cpuMillis() != null) {
            double seconds = callTimeout.toNanos() / 1e9;
            fuel = Math.max(1, (long) (policy.resources().cpuMillis() / 1000.0 * seconds * FUEL_PER_CPU_SECOND));
        }
        return new Grants(preopens, env, memory, fuel, !policy.networkAllow().isEmpty(), notes);
    }
}

package dev.wassette.host;

import dev.wassette.policy.Policy;
import dev.wassette.runtime.WasiConfig;
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
 * file, or a glob other than a whole tree, and cannot carve a deny out of an allowed tree.</li>
 * <li>Environment: each allowed key whose value exists in the environment source.</li>
 * <li>Resources: memory becomes the store's memory limit; CPU ({@code "500m"}) becomes a fuel budget of
 * cores × call timeout × {@value #FUEL_PER_CPU_SECOND} fuel per CPU-second.</li>
 * </ul>
 *
 * <p>A rule that cannot be enforced as written is never granted in a wider form: grants refuse it
 * ({@link #requireEnforceable}); in a policy that holds one anyway (edited by hand, attached from a
 * file) it is left out and reported in {@link Grants#notes()}, while the rules that can be enforced
 * still are. An allowed tree holding a deny rule is left out whole, so the deny always holds.
 */
public final class PolicyMapping {
    /** Fuel units a core burns in one second, roughly (one unit per wasm instruction). */
    public static final long FUEL_PER_CPU_SECOND = 1_000_000_000L;

    private PolicyMapping() {}

    /** The storage part of a policy, resolved: what is granted, what is refused and why, what is absent. */
    private record Storage(List<WasiConfig.Preopen> preopens, List<String> unenforceable, List<String> absent) {}

    /**
     * @param baseDir     where relative {@code fs://} paths are resolved
     * @param environment the environment source (only allowed keys are taken from it)
     * @param callTimeout the wall-clock limit of one call, which the CPU share is taken of
     */
    public static Grants map(Policy policy, Path baseDir, Map<String, String> environment, Duration callTimeout) {
        return map(policy, baseDir, (java.util.function.Function<String, String>) environment::get, callTimeout);
    }

    /** {@link #map} with the environment as a lookup, asked only for the keys the policy allows. */
    public static Grants map(Policy policy, Path baseDir, java.util.function.Function<String, String> environment, Duration callTimeout) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String key : policy.environmentAllow()) {
            String value = environment.apply(key);
            if (value != null) {
                env.put(key, value);
            }
        }
        return map(policy, storage(policy, baseDir), env, callTimeout);
    }

    /**
     * What a policy grants without its environment values (those are looked up per call), and
     * whether some granted directory did not exist: then the mapping is worth doing again later.
     */
    record WithoutEnvironment(Grants grants, boolean directoriesAbsent) {}

    static WithoutEnvironment mapWithoutEnvironment(Policy policy, Path baseDir, Duration callTimeout) {
        Storage storage = storage(policy, baseDir);
        return new WithoutEnvironment(map(policy, storage, Map.of(), callTimeout), !storage.absent().isEmpty());
    }

    private static Grants map(Policy policy, Storage storage, Map<String, String> env, Duration callTimeout) {
        List<String> notes = new ArrayList<>(storage.unenforceable());
        notes.addAll(storage.absent());
        long memory = policy.resources().memoryBytes() == null ? -1 : policy.resources().memoryBytes();
        long fuel = -1;
        if (policy.resources().cpuMillis() != null) {
            double seconds = callTimeout.toNanos() / 1e9;
            fuel = Math.max(1, (long) (policy.resources().cpuMillis() / 1000.0 * seconds * FUEL_PER_CPU_SECOND));
        }
        return new Grants(storage.preopens(), env, memory, fuel, !policy.networkAllow().isEmpty(), notes);
    }

    /** The rules of {@code policy} that cannot be enforced as written, each with why and what would work. */
    public static List<String> unenforceable(Policy policy, Path baseDir) {
        return storage(policy, baseDir).unenforceable();
    }

    /**
     * Refuses a policy change that adds a rule this runtime cannot enforce (the same checks as
     * {@link #map}); rules that were already unenforceable before the change do not block it.
     *
     * @throws UnenforceablePolicyException naming each new rule, why, and what to grant instead
     */
    public static void requireEnforceable(Policy before, Policy after, Path baseDir) {
        List<String> added = new ArrayList<>(unenforceable(after, baseDir));
        added.removeAll(unenforceable(before, baseDir));
        if (!added.isEmpty()) {
            throw new UnenforceablePolicyException(String.join("; ", added));
        }
    }

    /** Directories granted by the policy that do not exist (yet): not an error, but nothing is granted. */
    public static List<String> absentDirectories(Policy policy, Path baseDir) {
        return storage(policy, baseDir).absent();
    }

    private static Storage storage(Policy policy, Path baseDir) {
        List<String> unenforceable = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        List<WasiConfig.Preopen> preopens = new ArrayList<>();
        List<Policy.StorageRule> granted = new ArrayList<>();
        for (Policy.StorageRule rule : policy.storageAllow()) {
            String path = rule.uri().substring("fs://".length());
            boolean tree = path.endsWith("/**") || path.equals("**");
            String dir = tree ? path.substring(0, Math.max(0, path.length() - 3)) : path;
            if (dir.isEmpty() && path.startsWith("/")) {
                dir = "/";
            }
            String where = "storage rule " + located(rule);
            if (dir.isEmpty() || isGlob(dir)) {
                String parent = globFreeParent(dir);
                unenforceable.add(where + ": WASI grants whole directories, not glob patterns; grant the directory "
                        + (parent == null ? "that holds the files" : "fs://" + parent + "/**") + " instead"
                        + access(rule) + " if the component may see all of it");
                continue;
            }
            if (rule.access().contains(Policy.Access.WRITE) && !rule.access().contains(Policy.Access.READ)) {
                unenforceable.add(where + ": WASI cannot grant write without read; grant access [read, write] if reading is acceptable, or [read] alone");
                continue;
            }
            Path host = resolve(dir, baseDir);
            if (Files.isRegularFile(host)) {
                Path parent = host.getParent();
                unenforceable.add(where + ": " + host + " is a file, and WASI grants directories, not single files; grant its directory "
                        + (parent == null ? "" : "fs://" + parent + "/** ") + "instead" + access(rule)
                        + " if the component may see the other files there, or move the file into a directory of its own");
                continue;
            }
            if (!Files.isDirectory(host)) {
                absent.add(where + ": " + host + " does not exist; not granted until it does");
                continue;
            }
            String guest = dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
            preopens.add(new WasiConfig.Preopen(host, guest, rule.access().contains(Policy.Access.WRITE)));
            granted.add(rule);
        }
        for (Policy.StorageRule deny : policy.storageDeny()) {
            String path = deny.uri().substring("fs://".length());
            String dir = path.replaceAll("/\\*\\*$", "");
            Path host = resolve(dir, baseDir);
            for (int i = preopens.size() - 1; i >= 0; i--) {
                Path tree = preopens.get(i).hostPath();
                if (host.startsWith(tree) || isGlob(dir) && host.getParent() != null && host.getParent().startsWith(tree)) {
                    Policy.StorageRule allow = granted.get(i);
                    unenforceable.add("storage rule " + located(allow) + ": the deny rule " + located(deny)
                            + " lies inside it, and WASI cannot carve a directory out of a granted tree; grant the subdirectories"
                            + " the component needs instead of " + tree);
                    preopens.remove(i);
                    granted.remove(i);
                }
            }
        }
        return new Storage(preopens, unenforceable, absent);
    }

    /** {@code fs://…} with its line in the policy file, when it came from one. */
    private static String located(Policy.StorageRule rule) {
        return rule.uri() + (rule.line() > 0 ? " (line " + rule.line() + ")" : "");
    }

    private static Path resolve(String dir, Path baseDir) {
        return (dir.startsWith("/") ? Path.of(dir) : baseDir.resolve(dir)).toAbsolutePath().normalize();
    }

    private static boolean isGlob(String s) {
        return s.contains("*") || s.contains("?") || s.contains("[");
    }

    /** The longest leading directory of a glob without glob characters ({@code /data/x/*.txt} → {@code /data/x}). */
    private static String globFreeParent(String glob) {
        int cut = glob.length();
        for (int i = 0; i < glob.length(); i++) {
            if ("*?[".indexOf(glob.charAt(i)) >= 0) {
                cut = i;
                break;
            }
        }
        int slash = glob.lastIndexOf('/', cut);
        if (slash < 0) {
            return null;
        }
        return slash == 0 ? "" : glob.substring(0, slash);
    }

    private static String access(Policy.StorageRule rule) {
        return rule.access().contains(Policy.Access.WRITE) ? " (read, write)" : " read-only";
    }
}

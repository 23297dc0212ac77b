package dev.wassette.host;

import dev.wassette.policy.Policy;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A policy made ready for calls on this host: its directory grants resolved against a base
 * directory, its network rules parsed into an egress check, its resource limits turned into fuel and
 * a memory limit, and the call {@link Limits}. Made once per policy value and shared by every call
 * under it (thread-safe), so a call maps and parses nothing and reads no file.
 *
 * <p>Two things on disk can change under a prepared policy, and both are followed: a granted
 * directory that did not exist is looked for again at each call until it does (granting a directory
 * before it is created works), and one that disappears is left out from the next call on (see
 * {@link #refreshStorage}).
 */
public final class CallPolicy {
    private final Policy policy;
    private final Path baseDir;
    private final Limits limits;
    private final PolicyEgress egress;
    private volatile Resolved resolved;

    /** The grants of one resolution of the storage rules, and what follows from them. */
    private record Resolved(Grants grants, boolean directoriesAbsent, List<String> visibleStorage) {}

    private CallPolicy(Policy policy, Path baseDir, Limits limits) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.limits = Objects.requireNonNull(limits, "limits");
        this.egress = new PolicyEgress(policy, denial -> { });
        this.resolved = resolve();
    }

    /**
     * Prepares {@code policy} for calls with {@code limits}; relative {@code fs://} rules resolve
     * against {@code baseDir}.
     */
    public static CallPolicy of(Policy policy, Path baseDir, Limits limits) {
        return new CallPolicy(policy, baseDir, limits);
    }

    /** Nothing granted: no files, no environment, no network; only the call limits. */
    public static CallPolicy denyAll(Limits limits) {
        return new CallPolicy(Policy.denyAll(), Path.of("").toAbsolutePath(), limits);
    }

    private Resolved resolve() {
        PolicyMapping.WithoutEnvironment mapped = PolicyMapping.mapWithoutEnvironment(policy, baseDir, limits.callTimeout());
        Grants g = mapped.grants();
        List<String> visible = g.preopens().stream()
                .map(p -> p.guestPath() + (p.writable() ? " (read, write)" : " (read-only)")).toList();
        return new Resolved(g, mapped.directoriesAbsent(), visible);
    }

    public Policy policy() {
        return policy;
    }

    public Path baseDir() {
        return baseDir;
    }

    public Limits limits() {
        return limits;
    }

    /** Whether this was prepared from exactly {@code policy} (the same value) for {@code baseDir} and {@code limits}. */
    public boolean isFor(Policy policy, Path baseDir, Limits limits) {
        return this.policy == policy && this.baseDir.equals(baseDir) && this.limits.equals(limits);
    }

    /**
     * What the policy grants for the next call, environment values aside (they are looked up per
     * call). Resolved again only while some granted directory is missing.
     */
    Grants grants() {
        Resolved r = resolved;
        if (r.directoriesAbsent()) {
            r = resolve();
            resolved = r;
        }
        return r.grants();
    }

    /** The granted directories as the guest sees them, with their access ({@code data (read-only)}). */
    List<String> visibleStorage() {
        return resolved.visibleStorage();
    }

    /**
     * Resolves the storage rules again after a granted directory could not be opened (it was
     * removed); returns whether the grants changed, so the call is worth trying again.
     */
    boolean refreshStorage() {
        Resolved before = resolved;
        Resolved after = resolve();
        resolved = after;
        return !after.grants().preopens().equals(before.grants().preopens());
    }

    /** The network rules, reporting each denial to {@code denials}. */
    PolicyEgress egress(java.util.function.Consumer<String> denials) {
        return egress.reportingTo(denials);
    }
}

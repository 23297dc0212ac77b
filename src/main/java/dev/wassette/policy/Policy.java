package dev.wassette.policy;

import java.util.List;
import java.util.Set;

/**
 * A capability policy in the policy-mcp format Wassette uses. Immutable. Anything not allowed here
 * is denied. {@code warnings} lists what the file states that this runtime does not enforce.
 */
public record Policy(
        String version,
        String description,
        List<StorageRule> storageAllow,
        List<StorageRule> storageDeny,
        List<NetworkRule> networkAllow,
        List<NetworkRule> networkDeny,
        List<String> environmentAllow,
        Resources resources,
        List<String> warnings) {

    public enum Access { READ, WRITE }

    /** {@code uri} as written ({@code fs:///abs/path}, {@code fs://relative/**}); {@code line} 1-based, 0 if unknown. */
    public record StorageRule(String uri, Set<Access> access, int line) {
        public StorageRule {
            access = Set.copyOf(access);
        }
    }

    /** Exactly one of {@code host} (may carry a scheme, may be {@code *.suffix} or {@code *}) and {@code cidr}. */
    public record NetworkRule(String host, String cidr, int line) {}

    /**
     * Limits; null where the policy sets none. {@code cpuMillis}: thousandths of a core (from
     * {@code "500m"}, {@code 0.5}, or the legacy percentage form {@code 50.0}).
     */
    public record Resources(Long memoryBytes, Long cpuMillis) {
        public static final Resources NONE = new Resources(null, null);
    }

    public Policy {
        storageAllow = List.copyOf(storageAllow);
        storageDeny = List.copyOf(storageDeny);
        networkAllow = List.copyOf(networkAllow);
        networkDeny = List.copyOf(networkDeny);
        environmentAllow = List.copyOf(environmentAllow);
        warnings = List.copyOf(warnings);
    }

    /**
     * Whether {@code other} grants exactly what this policy grants: the same rules and limits,
     * whatever their order of lines, description or warnings.
     */
    public boolean grantsSameAs(Policy other) {
        return storageRules(storageAllow).equals(storageRules(other.storageAllow))
                && storageRules(storageDeny).equals(storageRules(other.storageDeny))
                && networkRules(networkAllow).equals(networkRules(other.networkAllow))
                && networkRules(networkDeny).equals(networkRules(other.networkDeny))
                && Set.copyOf(environmentAllow).equals(Set.copyOf(other.environmentAllow))
                && resources.equals(other.resources);
    }

    private static Set<StorageRule> storageRules(List<StorageRule> rules) {
        return rules.stream().map(r -> new StorageRule(r.uri(), r.access(), 0)).collect(java.util.stream.Collectors.toSet());
    }

    private static Set<NetworkRule> networkRules(List<NetworkRule> rules) {
        return rules.stream().map(r -> new NetworkRule(r.host() == null ? null : r.host().toLowerCase(java.util.Locale.ROOT), r.cidr(), 0))
                .collect(java.util.stream.Collectors.toSet());
    }

    /** The policy that allows nothing. */
    public static Policy denyAll() {
        return new Policy("1.0", "Component policy (managed by wassette; nothing is allowed unless granted)", List.of(), List.of(), List.of(), List.of(), List.of(), Resources.NONE, List.of());
    }
}

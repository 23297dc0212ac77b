package dev.wassette.policy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Grant, revoke and reset operations on a {@link Policy}: pure functions returning a new policy.
 * Grants are validated like parsed rules (an invalid one throws {@link IllegalArgumentException}),
 * de-duplicated, and storage grants on the same URI merge their access.
 */
public final class PolicyEditor {
    private PolicyEditor() {}

    /**
     * Allows {@code access} to {@code uri}, merged into an existing rule for the same URI.
     *
     * @param p the policy
     * @param uri the storage URI, e.g. {@code fs:///data}
     * @param access the access to grant
     * @return the new policy
     * @throws IllegalArgumentException if the rule is invalid
     */
    public static Policy grantStorage(Policy p, String uri, Set<Policy.Access> access) {
        Policy.StorageRule rule = single(ruleYaml("storage", "uri: " + quote(uri) + ", access: [" + String.join(", ",
                access.stream().map(a -> a.name().toLowerCase(Locale.ROOT)).toList()) + "]")).storageAllow().getFirst();
        List<Policy.StorageRule> allow = new ArrayList<>();
        boolean merged = false;
        for (Policy.StorageRule r : p.storageAllow()) {
            if (r.uri().equals(rule.uri())) {
                Set<Policy.Access> union = EnumSet.copyOf(r.access());
                union.addAll(rule.access());
                allow.add(new Policy.StorageRule(r.uri(), union, 0));
                merged = true;
            } else {
                allow.add(r);
            }
        }
        if (!merged) {
            allow.add(new Policy.StorageRule(rule.uri(), rule.access(), 0));
        }
        return with(p, allow, p.networkAllow(), p.environmentAllow(), p.resources());
    }

    /**
     * Removes {@code access} from the rule for {@code uri} (the whole rule when nothing is left).
     *
     * @param p the policy
     * @param uri the storage URI of the rule
     * @param access the access to revoke
     * @return the new policy
     */
    public static Policy revokeStorage(Policy p, String uri, Set<Policy.Access> access) {
        List<Policy.StorageRule> allow = new ArrayList<>();
        for (Policy.StorageRule r : p.storageAllow()) {
            if (!r.uri().equals(uri)) {
                allow.add(r);
                continue;
            }
            Set<Policy.Access> left = EnumSet.noneOf(Policy.Access.class);
            left.addAll(r.access());
            left.removeAll(access.isEmpty() ? EnumSet.allOf(Policy.Access.class) : access);
            if (!left.isEmpty()) {
                allow.add(new Policy.StorageRule(r.uri(), left, r.line()));
            }
        }
        return with(p, allow, p.networkAllow(), p.environmentAllow(), p.resources());
    }

    /**
     * Allows a host (name, {@code *.suffix}, optional scheme and port); no-op if already allowed.
     *
     * @param p the policy
     * @param host the host rule
     * @return the new policy
     * @throws IllegalArgumentException if the rule is invalid
     */
    public static Policy grantNetworkHost(Policy p, String host) {
        Policy.NetworkRule rule = single(ruleYaml("network", "host: " + quote(host))).networkAllow().getFirst();
        return addNetwork(p, rule);
    }

    /**
     * Allows a network ({@code 10.0.0.0/8}); no-op if already allowed.
     *
     * @param p the policy
     * @param cidr the network
     * @return the new policy
     * @throws IllegalArgumentException if the rule is invalid
     */
    public static Policy grantNetworkCidr(Policy p, String cidr) {
        Policy.NetworkRule rule = single(ruleYaml("network", "cidr: " + quote(cidr))).networkAllow().getFirst();
        return addNetwork(p, rule);
    }

    private static Policy addNetwork(Policy p, Policy.NetworkRule rule) {
        for (Policy.NetworkRule r : p.networkAllow()) {
            if (same(r.host(), rule.host()) && same(r.cidr(), rule.cidr())) {
                return p;
            }
        }
        List<Policy.NetworkRule> allow = new ArrayList<>(p.networkAllow());
        allow.add(new Policy.NetworkRule(rule.host(), rule.cidr(), 0));
        return with(p, p.storageAllow(), allow, p.environmentAllow(), p.resources());
    }

    /**
     * Adds a deny rule for a host (name, {@code *.suffix}, optional scheme and port); deny rules win over allow rules.
     *
     * @param p the policy
     * @param host the host rule
     * @return the new policy
     * @throws IllegalArgumentException if the rule is invalid
     */
    public static Policy denyNetworkHost(Policy p, String host) {
        return addDeny(p, single(ruleYaml("network", "host: " + quote(host))).networkAllow().getFirst());
    }

    /**
     * Adds a deny rule for a network ({@code 10.0.0.0/8}); deny rules win over allow rules.
     *
     * @param p the policy
     * @param cidr the network
     * @return the new policy
     * @throws IllegalArgumentException if the rule is invalid
     */
    public static Policy denyNetworkCidr(Policy p, String cidr) {
        return addDeny(p, single(ruleYaml("network", "cidr: " + quote(cidr))).networkAllow().getFirst());
    }

    private static Policy addDeny(Policy p, Policy.NetworkRule rule) {
        for (Policy.NetworkRule r : p.networkDeny()) {
            if (same(r.host(), rule.host()) && same(r.cidr(), rule.cidr())) {
                return p;
            }
        }
        List<Policy.NetworkRule> deny = new ArrayList<>(p.networkDeny());
        deny.add(new Policy.NetworkRule(rule.host(), rule.cidr(), 0));
        return new Policy(p.version(), p.description(), p.storageAllow(), p.storageDeny(), p.networkAllow(), deny,
                p.environmentAllow(), p.resources(), p.warnings());
    }

    /**
     * Sets the CPU share in thousandths of a core ({@code 500} = half a core over the call's deadline).
     *
     * @param p the policy
     * @param millis the share in thousandths of a core
     * @return the new policy
     */
    public static Policy grantCpu(Policy p, long millis) {
        if (millis <= 0) {
            throw new IllegalArgumentException("CPU share must be positive");
        }
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(p.resources().memoryBytes(), millis, p.resources().quotas()));
    }

    /**
     * Removes the allow rule naming {@code hostOrCidr} (host rules compare case-insensitively).
     *
     * @param p the policy
     * @param hostOrCidr the host or network as written in the rule
     * @return the new policy
     */
    public static Policy revokeNetwork(Policy p, String hostOrCidr) {
        List<Policy.NetworkRule> allow = p.networkAllow().stream()
                .filter(r -> !(r.host() != null && r.host().equalsIgnoreCase(hostOrCidr) || hostOrCidr.equals(r.cidr())))
                .toList();
        return with(p, p.storageAllow(), allow, p.environmentAllow(), p.resources());
    }

    /**
     * Lets the component read the host environment variable {@code key}; no-op if already allowed.
     *
     * @param p the policy
     * @param key the variable name
     * @return the new policy
     * @throws IllegalArgumentException if the key is invalid
     */
    public static Policy grantEnvironment(Policy p, String key) {
        String validated = single(ruleYaml("environment", "key: " + quote(key))).environmentAllow().getFirst();
        if (p.environmentAllow().contains(validated)) {
            return p;
        }
        List<String> env = new ArrayList<>(p.environmentAllow());
        env.add(validated);
        return with(p, p.storageAllow(), p.networkAllow(), env, p.resources());
    }

    /**
     * Removes the environment variable {@code key} from the allowed ones.
     *
     * @param p the policy
     * @param key the variable name
     * @return the new policy
     */
    public static Policy revokeEnvironment(Policy p, String key) {
        return with(p, p.storageAllow(), p.networkAllow(),
                p.environmentAllow().stream().filter(k -> !k.equals(key)).toList(), p.resources());
    }

    /**
     * Sets the memory limit.
     *
     * @param p the policy
     * @param bytes the limit in bytes, positive
     * @return the new policy
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public static Policy grantMemory(Policy p, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memory limit must be positive");
        }
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(bytes, p.resources().cpuMillis(), p.resources().quotas()));
    }

    /**
     * Sets quota {@code name} ({@link Policy.Quotas#NAMES}).
     *
     * @param p the policy
     * @param name the quota, e.g. {@code concurrent_calls}
     * @param value from 1 to {@link Policy.Quotas#maximum}
     * @return the new policy
     * @throws IllegalArgumentException if the name is unknown or the value out of range
     */
    public static Policy grantQuota(Policy p, String name, long value) {
        return withQuotas(p, p.resources().quotas().with(name, value));
    }

    /**
     * Removes quota {@code name}: the component's calls are no longer limited by it.
     *
     * @param p the policy
     * @param name the quota
     * @return the new policy
     * @throws IllegalArgumentException if the name is unknown
     */
    public static Policy revokeQuota(Policy p, String name) {
        return withQuotas(p, p.resources().quotas().with(name, null));
    }

    private static Policy withQuotas(Policy p, Policy.Quotas quotas) {
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(p.resources().memoryBytes(), p.resources().cpuMillis(), quotas));
    }

    /**
     * Removes the memory limit (the runtime's default applies).
     *
     * @param p the policy
     * @return the new policy
     */
    public static Policy revokeMemory(Policy p) {
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(null, p.resources().cpuMillis(), p.resources().quotas()));
    }

    /**
     * No permissions at all (keeps the description).
     *
     * @param p the policy
     * @return the new policy
     */
    public static Policy reset(Policy p) {
        return new Policy("1.0", p.description(), List.of(), List.of(), List.of(), List.of(), List.of(), Policy.Resources.NONE, List.of());
    }

    private static Policy with(Policy p, List<Policy.StorageRule> storage, List<Policy.NetworkRule> network,
                               List<String> env, Policy.Resources resources) {
        return new Policy(p.version(), p.description(), storage, p.storageDeny(), network, p.networkDeny(), env, resources, p.warnings());
    }

    /** Validates one rule by parsing it as a policy, so grants obey exactly the file rules. */
    private static Policy single(String yaml) {
        try {
            return PolicyParser.parse(yaml, "grant");
        } catch (PolicyException e) {
            throw new IllegalArgumentException(String.join("; ", e.problems().stream()
                    .map(m -> m.replaceFirst("^grant:\\d+: ", "")).toList()));
        }
    }

    private static String ruleYaml(String section, String rule) {
        return "version: \"1.0\"\npermissions:\n  " + section + ":\n    allow:\n      - {" + rule + "}\n";
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static boolean same(String a, String b) {
        return a == null ? b == null : b != null && a.equalsIgnoreCase(b);
    }
}

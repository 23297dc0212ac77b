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

    /** Removes {@code access} from the rule for {@code uri} (the whole rule when nothing is left). */
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

    public static Policy grantNetworkHost(Policy p, String host) {
        Policy.NetworkRule rule = single(ruleYaml("network", "host: " + quote(host))).networkAllow().getFirst();
        return addNetwork(p, rule);
    }

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

    /** Adds a deny rule for a host (name, {@code *.suffix}, optional scheme and port); deny rules win over allow rules. */
    public static Policy denyNetworkHost(Policy p, String host) {
        return addDeny(p, single(ruleYaml("network", "host: " + quote(host))).networkAllow().getFirst());
    }

    /** Adds a deny rule for a network ({@code 10.0.0.0/8}); deny rules win over allow rules. */
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

    /** Sets the CPU share in thousandths of a core ({@code 500} = half a core over the call's deadline). */
    public static Policy grantCpu(Policy p, long millis) {
        if (millis <= 0) {
            throw new IllegalArgumentException("CPU share must be positive");
        }
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(p.resources().memoryBytes(), millis));
    }

    /** Removes the allow rule naming {@code hostOrCidr} (host rules compare case-insensitively). */
    public static Policy revokeNetwork(Policy p, String hostOrCidr) {
        List<Policy.NetworkRule> allow = p.networkAllow().stream()
                .filter(r -> !(r.host() != null && r.host().equalsIgnoreCase(hostOrCidr) || hostOrCidr.equals(r.cidr())))
                .toList();
        return with(p, p.storageAllow(), allow, p.environmentAllow(), p.resources());
    }

    public static Policy grantEnvironment(Policy p, String key) {
        String validated = single(ruleYaml("environment", "key: " + quote(key))).environmentAllow().getFirst();
        if (p.environmentAllow().contains(validated)) {
            return p;
        }
        List<String> env = new ArrayList<>(p.environmentAllow());
        env.add(validated);
        return with(p, p.storageAllow(), p.networkAllow(), env, p.resources());
    }

    public static Policy revokeEnvironment(Policy p, String key) {
        return with(p, p.storageAllow(), p.networkAllow(),
                p.environmentAllow().stream().filter(k -> !k.equals(key)).toList(), p.resources());
    }

    public static Policy grantMemory(Policy p, long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memory limit must be positive");
        }
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(bytes, p.resources().cpuMillis()));
    }

    public static Policy revokeMemory(Policy p) {
        return with(p, p.storageAllow(), p.networkAllow(), p.environmentAllow(),
                new Policy.Resources(null, p.resources().cpuMillis()));
    }

    /** No permissions at all (keeps the description). */
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

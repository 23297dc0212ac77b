package dev.wassette.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A capability policy in the policy-mcp format Wassette uses. Immutable. Anything not allowed here
 * is denied. {@code warnings} lists what the file states that this runtime does not enforce.
 *
 * <p>Build one in code with {@link #builder()}, or parse one with {@link #parse(String)} or
 * {@link #read(Path)} (policy-mcp YAML or the capability form).
 *
 * @param version          the policy-mcp format version ({@code "1.0"})
 * @param description      free text, or null
 * @param storageAllow     directory trees the guest may use
 * @param storageDeny      paths never granted (a granted tree holding one is left out whole)
 * @param networkAllow     hosts and networks the guest may reach
 * @param networkDeny      hosts and networks it may never reach, whatever allows them
 * @param environmentAllow environment variables it may see (when the host offers a value)
 * @param resources        its memory limit and CPU share
 * @param warnings         what the source states that this runtime does not enforce
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

    /** What a storage rule lets the guest do in its directory tree. */
    public enum Access {
        /** Open and read files, list directories. */
        READ,
        /** Create, write and remove files (WASI grants it only together with {@link #READ}). */
        WRITE
    }

    /**
     * A storage rule.
     *
     * @param uri    as written ({@code fs:///abs/path/**}, {@code fs://relative/**})
     * @param access what the guest may do there
     * @param line   where it was written (1-based), 0 if unknown
     */
    public record StorageRule(String uri, Set<Access> access, int line) {
        /** Copies {@code access}. */
        public StorageRule {
            access = Set.copyOf(access);
        }
    }

    /**
     * A network rule: exactly one of {@code host} and {@code cidr}.
     *
     * @param host a host name, {@code *.suffix} or {@code *}, with an optional scheme and port; or null
     * @param cidr a network ({@code 10.0.0.0/8}); or null
     * @param line where it was written (1-based), 0 if unknown
     */
    public record NetworkRule(String host, String cidr, int line) {}

    /**
     * Limits; null where the policy sets none.
     *
     * @param memoryBytes the largest total linear memory, in bytes
     * @param cpuMillis   thousandths of a core (from {@code "500m"}, {@code 0.5}, or the legacy
     *                    percentage form {@code 50.0}), as fuel over the call's deadline
     */
    public record Resources(Long memoryBytes, Long cpuMillis, Quotas quotas) {
        /** No limits beyond the call's. */
        public static final Resources NONE = new Resources(null, null);

        /** Limits without quotas. */
        public Resources(Long memoryBytes, Long cpuMillis) {
            this(memoryBytes, cpuMillis, Quotas.NONE);
        }

        /** A null {@code quotas} is none. */
        public Resources {
            quotas = quotas == null ? Quotas.NONE : quotas;
        }
    }

    /**
     * What a component may consume across calls ({@code resources.quotas}, an extension of this
     * runtime); null where the policy sets none. A call beyond a quota is refused with why, audited
     * and counted, and the component's other calls and every other component go on.
     *
     * @param concurrentCalls the calls of the component in flight at once; one more waits for a slot
     *                        (at most the call timeout, up to 5 s), then is refused
     * @param callsPerMinute  calls started in any minute (a token bucket: bursts up to this many,
     *                        refilled evenly over the minute); one more is refused at once
     * @param outboundRequests outgoing HTTP requests and TCP connections one call may make (those
     *                        the network rules allow); one more is denied to the guest
     * @param outboundBytes   bytes one call's outgoing HTTP requests may send (request lines,
     *                        headers and bodies); a request beyond it is denied to the guest
     */
    public record Quotas(Integer concurrentCalls, Integer callsPerMinute, Integer outboundRequests, Long outboundBytes) {
        /** No quotas. */
        public static final Quotas NONE = new Quotas(null, null, null, null);

        /** The quota names as the policy and the tools write them. */
        public static final List<String> NAMES = List.of("concurrent_calls", "calls_per_minute", "outbound_requests", "outbound_bytes");

        /** Quotas without a byte quota. */
        public Quotas(Integer concurrentCalls, Integer callsPerMinute, Integer outboundRequests) {
            this(concurrentCalls, callsPerMinute, outboundRequests, null);
        }

        /** Largest value of quota {@code name}: 1 TiB for bytes, a million for counts; the least is 1. */
        public static long maximum(String name) {
            return isByteQuota(name) ? 1L << 40 : 1_000_000;
        }

        /** Whether quota {@code name} counts bytes (and takes sizes such as {@code 10Mi}). */
        public static boolean isByteQuota(String name) {
            return name.equals("outbound_bytes");
        }

        /**
         * This with quota {@code name} set to {@code value} (null: removed).
         *
         * @throws IllegalArgumentException if the name is unknown or the value outside 1 to {@link #maximum}
         */
        public Quotas with(String name, Long value) {
            if (!NAMES.contains(name)) {
                throw new IllegalArgumentException("unknown quota \"" + name + "\" (known: " + String.join(", ", NAMES) + ")");
            }
            if (value != null && (value < 1 || value > maximum(name))) {
                throw new IllegalArgumentException("quota " + name + " must be from 1 to " + maximum(name) + ", got " + value);
            }
            Integer count = value == null ? null : (int) Math.min(value, Integer.MAX_VALUE);
            return switch (name) {
                case "concurrent_calls" -> new Quotas(count, callsPerMinute, outboundRequests, outboundBytes);
                case "calls_per_minute" -> new Quotas(concurrentCalls, count, outboundRequests, outboundBytes);
                case "outbound_requests" -> new Quotas(concurrentCalls, callsPerMinute, count, outboundBytes);
                default -> new Quotas(concurrentCalls, callsPerMinute, outboundRequests, value);
            };
        }
    }

    /** Copies the lists (a policy is immutable); prefer {@link #builder()} or {@link #parse(String)}. */
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

    /** A builder of a policy that allows only what is added to it. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses policy text: policy-mcp YAML or the capability form.
     *
     * @throws PolicyException naming every problem with its line
     */
    public static Policy parse(String yaml) throws PolicyException {
        return PolicyParser.parse(yaml, "policy");
    }

    /** Reads and parses a policy file (see {@link #parse(String)}); problems name the file and line. */
    public static Policy read(Path file) throws IOException, PolicyException {
        return PolicyParser.parse(file);
    }

    /**
     * Builds a {@link Policy} in code. Every rule is validated as the same rule in a file would be,
     * and an invalid one is refused at once ({@link IllegalArgumentException}, saying why). Relative
     * directories resolve where the runtime resolves relative {@code fs://} rules (its base directory).
     */
    public static final class Builder {
        private Policy policy = denyAll();

        private Builder() {}

        /** The guest may read the directory tree {@code dir} (it sees it at the same path). */
        public Builder allowRead(Path dir) {
            policy = PolicyEditor.grantStorage(policy, tree(dir), Set.of(Access.READ));
            return this;
        }

        /** The guest may read and write the directory tree {@code dir}. */
        public Builder allowReadWrite(Path dir) {
            policy = PolicyEditor.grantStorage(policy, tree(dir), Set.of(Access.READ, Access.WRITE));
            return this;
        }

        /** Outgoing HTTP and connections to {@code host}: a name, {@code *.suffix}, optionally with scheme and port. */
        public Builder allowHost(String host) {
            policy = PolicyEditor.grantNetworkHost(policy, host);
            return this;
        }

        /** Connections to addresses in {@code cidr} ({@code 10.0.0.0/8}). */
        public Builder allowNetwork(String cidr) {
            policy = PolicyEditor.grantNetworkCidr(policy, cidr);
            return this;
        }

        /** Never {@code host}, whatever else allows it. */
        public Builder denyHost(String host) {
            policy = PolicyEditor.denyNetworkHost(policy, host);
            return this;
        }

        /** Never an address in {@code cidr}, whatever else allows it. */
        public Builder denyNetwork(String cidr) {
            policy = PolicyEditor.denyNetworkCidr(policy, cidr);
            return this;
        }

        /** The guest sees the environment variable {@code key} when the runtime offers a value for it. */
        public Builder allowEnvironment(String key) {
            policy = PolicyEditor.grantEnvironment(policy, key);
            return this;
        }

        /** The guest's linear memory may grow to {@code bytes} in total; a grow beyond fails inside the guest. */
        public Builder memoryLimit(long bytes) {
            policy = PolicyEditor.grantMemory(policy, bytes);
            return this;
        }

        /** CPU share in thousandths of a core ({@code 500} = half a core), as fuel over the call's deadline. */
        public Builder cpuMillis(long millis) {
            policy = PolicyEditor.grantCpu(policy, millis);
            return this;
        }

        /** The policy with every rule added so far. */
        public Policy build() {
            return policy;
        }

        private static String tree(Path dir) {
            String path = dir.normalize().toString();
            return "fs://" + (path.isEmpty() ? "." : path) + "/**";
        }
    }

    /** The policy that allows nothing. */
    public static Policy denyAll() {
        return new Policy("1.0", "Component policy (managed by wassette; nothing is allowed unless granted)", List.of(), List.of(), List.of(), List.of(), List.of(), Resources.NONE, List.of());
    }
}

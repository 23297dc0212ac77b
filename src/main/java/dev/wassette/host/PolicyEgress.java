package dev.wassette.host;

import dev.wassette.policy.Cidr;
import dev.wassette.policy.HostPattern;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.EgressCheck;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The network part of a policy as an {@link EgressCheck}. Deny rules win over allow rules; no
 * matching allow rule means denied.
 * <ul>
 * <li>HTTP: a host name is first checked alone, so names no rule could allow are never looked up;
 * then each address the host resolves to is decided with the host name: denied when a deny host
 * rule matches the name or a deny CIDR contains the address; allowed when an allow host rule matches
 * the name (scheme and port when the rule names them, {@code *.suffix} wildcards) or an allow CIDR
 * contains the address. So a name that resolves into a denied network is refused, and a name
 * allowed only through a CIDR rule is allowed only at addresses inside it.</li>
 * <li>Sockets: the address must be in an allow CIDR or equal an IP-literal allow host rule, and in no
 * deny rule. Binding the unspecified address on an ephemeral port (what every outgoing connection does
 * implicitly) is allowed; listening and accepting are not.</li>
 * </ul>
 */
public final class PolicyEgress implements EgressCheck {
    private final List<HostPattern> allowHosts;
    private final List<HostPattern> denyHosts;
    private final List<Cidr> allowCidrs;
    private final List<Cidr> denyCidrs;
    private final Consumer<String> denials;

    /** {@code denials} receives a description of every denied attempt (for the audit log). */
    public PolicyEgress(Policy policy, Consumer<String> denials) {
        List<HostPattern> allowHosts = new ArrayList<>();
        List<HostPattern> denyHosts = new ArrayList<>();
        List<Cidr> allowCidrs = new ArrayList<>();
        List<Cidr> denyCidrs = new ArrayList<>();
        for (Policy.NetworkRule r : policy.networkAllow()) {
            if (r.host() != null) {
                allowHosts.add(HostPattern.parse(r.host()));
            } else {
                allowCidrs.add(Cidr.parse(r.cidr()));
            }
        }
        for (Policy.NetworkRule r : policy.networkDeny()) {
            if (r.host() != null) {
                denyHosts.add(HostPattern.parse(r.host()));
            } else {
                denyCidrs.add(Cidr.parse(r.cidr()));
            }
        }
        this.allowHosts = List.copyOf(allowHosts);
        this.denyHosts = List.copyOf(denyHosts);
        this.allowCidrs = List.copyOf(allowCidrs);
        this.denyCidrs = List.copyOf(denyCidrs);
        this.denials = denials;
    }

    private PolicyEgress(PolicyEgress rules, Consumer<String> denials) {
        this.allowHosts = rules.allowHosts;
        this.denyHosts = rules.denyHosts;
        this.allowCidrs = rules.allowCidrs;
        this.denyCidrs = rules.denyCidrs;
        this.denials = denials;
    }

    /** The same rules (parsed once, shared) reporting denials to {@code denials}: one per call. */
    public PolicyEgress reportingTo(Consumer<String> denials) {
        return new PolicyEgress(this, denials);
    }

    @Override
    public boolean allows(Kind kind, String scheme, String host, String address, int port) {
        String verdict = decide(kind, scheme, host, address, port);
        if (verdict != null) {
            String target = (scheme.isEmpty() ? "" : scheme + "://") + hostPort(host, port)
                    + (address.isEmpty() || address.equals(host) ? "" : " (" + address + ")");
            denials.accept(kind + " " + target + " denied: " + verdict);
            return false;
        }
        return true;
    }

    /** Null when allowed, else the reason. */
    private String decide(Kind kind, String scheme, String host, String address, int port) {
        InetAddress ip = literal(address.isEmpty() ? host : address);
        switch (kind) {
            case TCP_LISTEN, TCP_ACCEPT -> {
                return "inbound connections are not allowed";
            }
            case UDP_RECEIVE -> {
                return ip != null && addressVerdict(ip, port) == null ? null : "datagrams from this address are not allowed";
            }
            case TCP_BIND, UDP_BIND -> {
                return ip != null && ip.isAnyLocalAddress() && port == 0 ? null : "binding a fixed local address is not allowed";
            }
            default -> { }
        }
        if (kind != Kind.HTTP) {
            return ip == null ? "not an IP address" : addressVerdict(ip, port);
        }
        if (address.isEmpty() && ip == null) {
            return nameVerdict(scheme, host, port);
        }
        for (HostPattern p : denyHosts) {
            if (p.matches(scheme, host, port)) {
                return "matches deny rule " + describe(p);
            }
        }
        if (ip != null) {
            for (Cidr c : denyCidrs) {
                if (c.contains(ip)) {
                    return "address " + ip.getHostAddress() + " is in denied network " + c;
                }
            }
        }
        for (HostPattern p : allowHosts) {
            if (p.matches(scheme, host, port)) {
                return null;
            }
        }
        if (ip != null) {
            for (Cidr c : allowCidrs) {
                if (c.contains(ip)) {
                    return null;
                }
            }
        }
        return "no network rule allows this host";
    }

    /**
     * Before a host name is resolved: refused when a deny rule names it, or when neither a host rule
     * nor any CIDR rule could allow it (then it is not even looked up).
     */
    private String nameVerdict(String scheme, String host, int port) {
        for (HostPattern p : denyHosts) {
            if (p.matches(scheme, host, port)) {
                return "matches deny rule " + describe(p);
            }
        }
        for (HostPattern p : allowHosts) {
            if (p.matches(scheme, host, port)) {
                return null;
            }
        }
        return allowCidrs.isEmpty() ? "no network rule allows this host" : null;
    }

    private String addressVerdict(InetAddress ip, int port) {
        for (Cidr c : denyCidrs) {
            if (c.contains(ip)) {
                return "address is in denied network " + c;
            }
        }
        for (HostPattern p : denyHosts) {
            InetAddress denied = literal(p.host());
            if (p.host().equals("*") || denied != null && denied.equals(ip)) {
                return "matches deny rule " + describe(p);
            }
        }
        for (Cidr c : allowCidrs) {
            if (c.contains(ip)) {
                return null;
            }
        }
        for (HostPattern p : allowHosts) {
            InetAddress allowed = literal(p.host());
            if (allowed != null && allowed.equals(ip) && (p.port() < 0 || p.port() == port)) {
                return null;
            }
        }
        return "no network rule allows this address";
    }

    private static String describe(HostPattern p) {
        return (p.scheme() == null ? "" : p.scheme() + "://") + p.host() + (p.port() > 0 ? ":" + p.port() : "");
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    static InetAddress literal(String host) {
        if (host == null || host.isEmpty()) {
            return null;
        }
        char c = host.charAt(0);
        if (!(Character.isDigit(c) || host.indexOf(':') >= 0)) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.policy.PolicyParser;
import dev.wassette.runtime.EgressCheck.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyEgressTest {
    private final List<String> denials = new ArrayList<>();

    private PolicyEgress egress(String network) throws Exception {
        return new PolicyEgress(PolicyParser.parse("version: \"1.0\"\npermissions:\n  network:\n" + network, "n.yaml"), denials::add);
    }

    /** HTTP names resolve to a public test address; IP hosts (and sockets) are their own address. */
    private static boolean allows(PolicyEgress e, Kind kind, String scheme, String host, int port) {
        String address = PolicyEgress.literal(host) != null ? host : "93.184.216.34";
        return e.allows(kind, scheme, host, address, port);
    }

    @Test
    void namesResolvingIntoDeniedNetworksAreRefused() throws Exception {
        PolicyEgress e = egress("""
                    allow:
                      - host: "localhost"
                      - host: "api.example.com"
                      - cidr: "10.0.0.0/8"
                    deny:
                      - cidr: "127.0.0.0/8"
                      - cidr: "169.254.0.0/16"
                """);
        assertFalse(e.allows(Kind.HTTP, "http", "localhost", "127.0.0.1", 80), "localhost resolves into a denied network");
        assertFalse(e.allows(Kind.HTTP, "http", "api.example.com", "169.254.169.254", 80), "rebinding to the metadata address");
        assertTrue(e.allows(Kind.HTTP, "http", "api.example.com", "93.184.216.34", 80));
        assertTrue(e.allows(Kind.HTTP, "https", "intranet.corp", "10.2.3.4", 443), "a name allowed through its address's network");
        assertFalse(e.allows(Kind.HTTP, "https", "intranet.corp", "8.8.8.8", 443));
        assertTrue(denials.stream().anyMatch(d -> d.contains("localhost:80 (127.0.0.1) denied: address 127.0.0.1 is in denied network 127.0.0.0/8")), denials.toString());
    }

    @Test
    void namesNoRuleCouldAllowAreNotEvenLookedUp() throws Exception {
        PolicyEgress hostsOnly = egress("    allow: [{host: \"api.example.com\"}]\n    deny: [{host: \"bad.example.com\"}]\n");
        assertTrue(hostsOnly.allows(Kind.HTTP, "https", "api.example.com", "", 443), "allowed name may be resolved");
        assertFalse(hostsOnly.allows(Kind.HTTP, "https", "secret-data.attacker.example", "", 443), "no DNS query for it");
        assertFalse(hostsOnly.allows(Kind.HTTP, "https", "bad.example.com", "", 443));
        PolicyEgress withCidr = egress("    allow: [{cidr: \"10.0.0.0/8\"}]\n");
        assertTrue(withCidr.allows(Kind.HTTP, "https", "intranet.corp", "", 443), "a CIDR rule needs the address first");
        assertFalse(withCidr.allows(Kind.HTTP, "https", "intranet.corp", "8.8.8.8", 443));
    }

    @Test
    void noRulesDenyEverything() throws Exception {
        PolicyEgress e = egress("    allow: []\n");
        assertFalse(allows(e, Kind.HTTP, "https", "example.com", 443));
        assertFalse(allows(e, Kind.TCP_CONNECT, "", "127.0.0.1", 80));
        assertEquals(2, denials.size());
        assertTrue(denials.get(0).contains("example.com:443 (93.184.216.34) denied: no network rule allows this host"), denials.get(0));
    }

    @Test
    void hostsWildcardsSchemesAndCase() throws Exception {
        PolicyEgress e = egress("""
                    allow:
                      - host: "API.example.com"
                      - host: "*.example.org"
                      - host: "https://secure.example.net"
                      - host: "localhost:8080"
                """);
        assertTrue(allows(e, Kind.HTTP, "https", "api.example.com", 443));
        assertTrue(allows(e, Kind.HTTP, "http", "Api.Example.Com", 80));
        assertFalse(allows(e, Kind.HTTP, "https", "example.com.evil.io", 443));
        assertTrue(allows(e, Kind.HTTP, "https", "a.b.example.org", 443));
        assertFalse(allows(e, Kind.HTTP, "https", "example.org", 443), "*.suffix does not match the bare domain");
        assertFalse(allows(e, Kind.HTTP, "https", "badexample.org", 443));
        assertTrue(allows(e, Kind.HTTP, "https", "secure.example.net", 443));
        assertFalse(allows(e, Kind.HTTP, "http", "secure.example.net", 80), "scheme in the rule is enforced");
        assertTrue(allows(e, Kind.HTTP, "http", "localhost", 8080));
        assertFalse(allows(e, Kind.HTTP, "http", "localhost", 8081), "port in the rule is enforced");
    }

    @Test
    void denyWinsAndCidrsMatchIpLiterals() throws Exception {
        PolicyEgress e = egress("""
                    allow:
                      - host: "*.example.com"
                      - cidr: "10.0.0.0/8"
                      - host: "127.0.0.1"
                    deny:
                      - host: "bad.example.com"
                      - cidr: "10.66.0.0/16"
                """);
        assertTrue(allows(e, Kind.HTTP, "https", "good.example.com", 443));
        assertFalse(allows(e, Kind.HTTP, "https", "bad.example.com", 443));
        assertTrue(allows(e, Kind.HTTP, "http", "10.1.2.3", 80));
        assertFalse(allows(e, Kind.HTTP, "http", "10.66.1.1", 80));
        assertTrue(allows(e, Kind.TCP_CONNECT, "", "10.1.2.3", 5432));
        assertFalse(allows(e, Kind.TCP_CONNECT, "", "10.66.9.9", 5432));
        assertTrue(allows(e, Kind.TCP_CONNECT, "", "127.0.0.1", 9000));
        assertFalse(allows(e, Kind.TCP_CONNECT, "", "127.0.0.2", 9000));
        assertTrue(allows(e, Kind.TCP_BIND, "", "0.0.0.0", 0), "implicit bind of an outgoing connection");
        assertFalse(allows(e, Kind.TCP_BIND, "", "0.0.0.0", 8080));
        assertFalse(allows(e, Kind.TCP_LISTEN, "", "0.0.0.0", 8080));
        assertTrue(denials.stream().anyMatch(d -> d.contains("denied network 10.66.0.0/16")), denials.toString());
    }

    @Test
    void anOutboundHostPortOfTheCapabilityFormAllowsThatPortOnly() throws Exception {
        PolicyEgress e = new PolicyEgress(PolicyParser.parse("""
                capabilities:
                  network: { outbound: ["api.company.com:443", "127.0.0.1:5432"] }
                """, "caps.yaml"), denials::add);
        assertTrue(allows(e, Kind.HTTP, "https", "api.company.com", 443));
        assertTrue(e.allows(Kind.HTTP, "https", "api.company.com", "", 443), "the name may be resolved for that port");
        assertFalse(e.allows(Kind.HTTP, "http", "api.company.com", "", 80), "not even resolved for another port");
        assertFalse(allows(e, Kind.HTTP, "https", "api.company.com", 8443));
        assertFalse(allows(e, Kind.HTTP, "https", "www.company.com", 443));
        assertTrue(allows(e, Kind.TCP_CONNECT, "", "127.0.0.1", 5432));
        assertFalse(allows(e, Kind.TCP_CONNECT, "", "127.0.0.1", 5433));
        assertTrue(denials.stream().anyMatch(d -> d.contains("api.company.com:8443") && d.contains("no network rule allows this host")), denials.toString());
        assertTrue(denials.stream().anyMatch(d -> d.contains("127.0.0.1:5433") && d.contains("no network rule allows this address")), denials.toString());
    }
}

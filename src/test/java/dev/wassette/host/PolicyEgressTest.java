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

    @Test
    void noRulesDenyEverything() throws Exception {
        PolicyEgress e = egress("    allow: []\n");
        assertFalse(e.allows(Kind.HTTP, "https", "example.com", 443));
        assertFalse(e.allows(Kind.TCP_CONNECT, "", "127.0.0.1", 80));
        assertEquals(2, denials.size());
        assertTrue(denials.get(0).contains("example.com:443 denied: no network rule allows this host"), denials.get(0));
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
        assertTrue(e.allows(Kind.HTTP, "https", "api.example.com", 443));
        assertTrue(e.allows(Kind.HTTP, "http", "Api.Example.Com", 80));
        assertFalse(e.allows(Kind.HTTP, "https", "example.com.evil.io", 443));
        assertTrue(e.allows(Kind.HTTP, "https", "a.b.example.org", 443));
        assertFalse(e.allows(Kind.HTTP, "https", "example.org", 443), "*.suffix does not match the bare domain");
        assertFalse(e.allows(Kind.HTTP, "https", "badexample.org", 443));
        assertTrue(e.allows(Kind.HTTP, "https", "secure.example.net", 443));
        assertFalse(e.allows(Kind.HTTP, "http", "secure.example.net", 80), "scheme in the rule is enforced");
        assertTrue(e.allows(Kind.HTTP, "http", "localhost", 8080));
        assertFalse(e.allows(Kind.HTTP, "http", "localhost", 8081), "port in the rule is enforced");
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
        assertTrue(e.allows(Kind.HTTP, "https", "good.example.com", 443));
        assertFalse(e.allows(Kind.HTTP, "https", "bad.example.com", 443));
        assertTrue(e.allows(Kind.HTTP, "http", "10.1.2.3", 80));
        assertFalse(e.allows(Kind.HTTP, "http", "10.66.1.1", 80));
        assertTrue(e.allows(Kind.TCP_CONNECT, "", "10.1.2.3", 5432));
        assertFalse(e.allows(Kind.TCP_CONNECT, "", "10.66.9.9", 5432));
        assertTrue(e.allows(Kind.TCP_CONNECT, "", "127.0.0.1", 9000));
        assertFalse(e.allows(Kind.TCP_CONNECT, "", "127.0.0.2", 9000));
        assertTrue(e.allows(Kind.TCP_BIND, "", "0.0.0.0", 0), "implicit bind of an outgoing connection");
        assertFalse(e.allows(Kind.TCP_BIND, "", "0.0.0.0", 8080));
        assertFalse(e.allows(Kind.TCP_LISTEN, "", "0.0.0.0", 8080));
        assertTrue(denials.stream().anyMatch(d -> d.contains("denied network 10.66.0.0/16")), denials.toString());
    }
}

package dev.wassette.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyException;
import dev.wassette.policy.PolicyParser;
import dev.wassette.policy.PolicyWriter;
import java.nio.charset.StandardCharsets;

class PolicyYamlFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void policyYamlParsesOrFailsWithFileAndLine(byte[] input) {
        String yaml = new String(input, StandardCharsets.UTF_8);
        Policy policy;
        try {
            policy = PolicyParser.parse(yaml, "fuzz.yaml");
        } catch (PolicyException e) {
            for (String problem : e.problems()) {
                assertTrue(problem.startsWith("fuzz.yaml"), problem);
            }
            return;
        }
        String written = PolicyWriter.toYaml(policy);
        try {
            assertTrue(PolicyParser.parse(written, "written.yaml").grantsSameAs(policy), written);
        } catch (PolicyException e) {
            throw new AssertionError("a parsed policy, written back, does not parse: " + e.problems() + "\n" + written, e);
        }
    }
}

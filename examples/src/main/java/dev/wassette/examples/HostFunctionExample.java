package dev.wassette.examples;

import dev.wassette.SandboxedComponent;
import dev.wassette.WassetteRuntime;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.TrapException;
import dev.wassette.runtime.Val;
import java.nio.file.Path;
import java.util.Map;

/**
 * A component calls back into Java: it imports {@code example:shop/pricing@1.0.0}, whose
 * {@code tax-cents} this program implements. A host function that throws fails the call, not the
 * JVM.
 *
 * <pre>java -cp … dev.wassette.examples.HostFunctionExample examples/components/pricing.wat</pre>
 */
public final class HostFunctionExample {
    public static void main(String[] args) throws Exception {
        Path component = Path.of(args[0]);
        try (WassetteRuntime wassette = WassetteRuntime.builder()
                .hostInterface("example:shop/pricing@1.0.0", Map.of("tax-cents", params -> {
                    long net = ((Val.U64) params.getFirst()).bits();
                    if (net < 0) {
                        throw new IllegalArgumentException("no tax rate for amounts above 2^63 cents");
                    }
                    return new Val.U64(net * 19 / 100); // 19 %, rounded down
                }))
                .build();
             SandboxedComponent pricing = wassette.load(component, Policy.builder().build())) {
            System.out.println("gross of 10000 cents: " + pricing.call("gross-cents", Map.of("net-cents", 10_000)));
            try {
                pricing.call("gross-cents", new Val.U64(-1));
            } catch (TrapException e) {
                System.out.println("host function failed: " + e.kind() + ": "
                        + e.getMessage().substring(e.getMessage().indexOf("no tax rate")));
            }
        }
    }
}

package dev.wassette.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wassette.SandboxedComponent;
import dev.wassette.WassetteRuntime;
import dev.wassette.policy.Policy;
import dev.wassette.runtime.Val;
import java.nio.file.Path;
import java.util.Map;

/**
 * Calls a function of a component, with JSON-like arguments and with typed values.
 *
 * <pre>java -cp … dev.wassette.examples.HelloExample types.wasm</pre>
 *
 * {@code types.wasm} exports {@code greet: func(name: string) -> string} and, in its interface
 * {@code wassette:fixtures/types@0.1.0}, {@code add: func(a: s32, b: s32) -> s32}.
 */
public final class HelloExample {
    public static void main(String[] args) throws Exception {
        Path component = Path.of(args[0]);
        try (WassetteRuntime wassette = WassetteRuntime.builder().build();
             SandboxedComponent types = wassette.load(component, Policy.builder().build())) { // no permissions at all
            JsonNode greeting = wassette.call(types, "greet", Map.of("name", "World"));
            System.out.println(greeting.asText());
            Val sum = types.call("wassette:fixtures/types@0.1.0#add", new Val.S32(2), new Val.S32(3));
            System.out.println("2 + 3 = " + ((Val.S32) sum).value());
        }
    }
}

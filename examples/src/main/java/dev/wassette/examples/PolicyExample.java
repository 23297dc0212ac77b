package dev.wassette.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wassette.SandboxedComponent;
import dev.wassette.WassetteRuntime;
import dev.wassette.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A policy grants one directory, read-only: a file there can be read, a file beside it cannot, and
 * writing into the granted directory fails too. The same component under another policy (a view
 * sharing its compiled code) sees nothing.
 *
 * <pre>java -cp … dev.wassette.examples.PolicyExample io.wasm</pre>
 *
 * {@code io.wasm} exports {@code read-file: func(path: string) -> result<string, string>} and
 * {@code write-file} in {@code wassette:fixtures/files@0.1.0}.
 */
public final class PolicyExample {
    private static final String FILES = "wassette:fixtures/files@0.1.0#";

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("wassette-policy-example");
        Path data = Files.createDirectories(work.resolve("data"));
        Files.writeString(data.resolve("notes.txt"), "granted notes");
        Files.writeString(work.resolve("secret.txt"), "not granted");

        Policy readData = Policy.builder().allowRead(data).build();
        try (WassetteRuntime wassette = WassetteRuntime.builder().build();
             SandboxedComponent io = wassette.load(Path.of(args[0]), readData)) {
            print("read data/notes.txt", io.call(FILES + "read-file", Map.of("path", data.resolve("notes.txt").toString())));
            print("read secret.txt", io.call(FILES + "read-file", Map.of("path", work.resolve("secret.txt").toString())));
            print("write data/new.txt", io.call(FILES + "write-file", Map.of("path", data.resolve("new.txt").toString(), "contents", "x")));
            System.out.println("data/new.txt exists: " + Files.exists(data.resolve("new.txt")));

            SandboxedComponent nothing = io.withPolicy(Policy.builder().build());
            print("read data/notes.txt without a grant", nothing.call(FILES + "read-file", Map.of("path", data.resolve("notes.txt").toString())));
        }
    }

    /** A WIT result arrives as {"ok": …} or {"err": …}. */
    private static void print(String what, JsonNode result) {
        System.out.println(what + ": " + (result.has("ok") ? "ok: " + result.get("ok").asText() : "denied"));
    }
}

package dev.wassette.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import dev.wassette.runtime.ExportedFunction;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Results agree with the output schemas derived from the same WIT types — what lets the server skip
 * the SDK's per-call output validation ({@code mcp.DerivedOutputValidator}). Every value kind of the
 * fixture goes through a real call and is checked with the SDK's own JSON Schema validator.
 */
class OutputSchemaTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TYPES = "wassette:fixtures/types@0.1.0#";

    @TempDir
    Path dir;

    @Test
    void everyKindOfResultConformsToItsOutputSchema() throws Exception {
        Map<String, String> samples = new LinkedHashMap<>();
        samples.put("echo-bool", "true");
        samples.put("echo-s8", "-128");
        samples.put("echo-u8", "255");
        samples.put("echo-s16", "-32768");
        samples.put("echo-u16", "65535");
        samples.put("echo-s32", "-2147483648");
        samples.put("echo-u32", "4294967295");
        samples.put("echo-s64", "-9223372036854775808");
        samples.put("echo-u64", "18446744073709551615");
        samples.put("echo-f32", "1.5");
        samples.put("echo-f64", "\"NaN\"");
        samples.put("echo-char", "\"ü\"");
        samples.put("echo-string", "\"text with \\\"quotes\\\"\"");
        samples.put("echo-list", "[1, 2, 3]");
        samples.put("echo-bytes", "[0, 255]");
        samples.put("echo-record", "{\"name\":\"n\",\"retries\":3,\"ratio\":0.5,\"tags\":[\"a\"],\"origin\":{\"x\":1,\"y\":-1}}");
        samples.put("echo-tuple", "[\"a\", 7, false]");
        samples.put("echo-variant", "{\"tag\":\"rect\",\"val\":{\"x\":1,\"y\":2}}");
        samples.put("echo-enum", "\"green\"");
        samples.put("echo-option", "null");
        samples.put("echo-result", "{\"err\": 4}");
        samples.put("echo-flags", "[\"read\", \"exec\"]");
        samples.put("echo-nested", "[null, {\"x\": 3, \"y\": 4}]");
        DefaultJsonSchemaValidator validator = new DefaultJsonSchemaValidator(JSON);
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("c")).secretsDir(dir.resolve("s")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build())) {
            host.load("types", Files.readAllBytes(Fixtures.path("types.wasm")));
            for (var sample : samples.entrySet()) {
                ExportedFunction f = host.component("types").sandbox().component().export(TYPES + sample.getKey());
                JsonNode value = JSON.readTree(sample.getValue());
                ObjectNode args = JSON.createObjectNode().set("v", value);
                JsonNode result = JsonValues.toJson(host.call("types", f, JsonValues.arguments(args, f.type())));
                ObjectNode structured = JSON.createObjectNode().set("result", result);
                @SuppressWarnings("unchecked")
                Map<String, Object> schema = JSON.convertValue(ToolSchemas.outputSchema(f.type()), Map.class);
                var verdict = validator.validate(schema, JSON.convertValue(structured, Map.class));
                assertTrue(verdict.valid(), () -> sample.getKey() + ": " + structured + " does not conform: " + verdict.errorMessage());
                assertEquals(JSON.writeValueAsString(value), JSON.writeValueAsString(result), sample.getKey() + " round trip");
            }
        }
    }
}

package dev.wassette.tools;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import dev.wassette.runtime.ExportedFunction;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The input and output schemas derived from WIT types conform to JSON Schema 2020-12, checked with
 * the SDK's own validator — what lets the server register component tools without that check
 * ({@code mcp.DerivedOutputValidator.DerivedSchema}). {@code types.wasm} has every kind of WIT
 * value, nested in records, lists, tuples, variants, options and results; the other fixtures add
 * the shapes real tools have (no parameters, no result, strings and lists of them).
 */
class DerivedSchemasTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> COMPONENTS = List.of("types.wasm", "io.wasm", "fetch.wasm", "host-log.wasm", "netprobe.wasm",
            "spin.wasm");

    @TempDir
    Path dir;

    @Test
    void everyDerivedSchemaOfEveryFixtureConformsToJsonSchema() throws Exception {
        DefaultJsonSchemaValidator sdk = new DefaultJsonSchemaValidator(JSON);
        int checked = 0;
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("c"))
                .secretsDir(dir.resolve("s")).baseDir(dir).processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).build())) {
            for (String file : COMPONENTS) {
                String id = file.substring(0, file.indexOf('.'));
                host.load(id, Files.readAllBytes(Fixtures.path(file)));
                for (ExportedFunction f : host.component(id).functions()) {
                    String where = file + " " + f.qualifiedName();
                    var input = sdk.validateSchema(map(ToolSchemas.inputSchema(f.type())));
                    assertTrue(input.valid(), () -> where + " input schema: " + input.errorMessage());
                    ObjectNode output = ToolSchemas.outputSchema(f.type());
                    if (output != null) {
                        var verdict = sdk.validateSchema(map(output));
                        assertTrue(verdict.valid(), () -> where + " output schema: " + verdict.errorMessage());
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 30, "functions checked: " + checked);
    }

    @Test
    void theValidatorRejectsASchemaThatDoesNotConform() {
        // So that the check above can fail: the SDK's validator does look at the schema.
        assertFalse(new DefaultJsonSchemaValidator(JSON).validateSchema(Map.of("type", "no-such-type")).valid());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(ObjectNode schema) {
        return JSON.convertValue(schema, Map.class);
    }
}

package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wassette.Fixtures;
import dev.wassette.host.ComponentHost;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in tools' schemas are constants that the server registers with
 * {@link DerivedOutputValidator} as conforming, so the SDK's JSON Schema validator (slow to set up)
 * is not built at every start to check them: they are checked here with it instead.
 */
class BuiltinToolSchemasTest {
    @TempDir
    Path dir;

    @Test
    void everyBuiltinSchemaConformsToJsonSchema() throws Exception {
        try (ComponentHost host = new ComponentHost(Fixtures.engine(), ComponentHost.Settings.builder().componentDir(dir.resolve("c")).secretsDir(dir.resolve("s")).baseDir(dir)
                .processEnv(Map.of()).callTimeout(Duration.ofSeconds(10)).maxResultBytes(1 << 20).build());
             WassetteMcpServer server = new WassetteMcpServer(host, true)) {
            List<ServedTool> specs = new BuiltinTools(server, host, server.objectMapper()).specifications();
            assertTrue(specs.stream().anyMatch(s -> s.tool().name().equals("apply-declared-permissions")), "the declared-permissions tool is built in");
            DefaultJsonSchemaValidator sdk = new DefaultJsonSchemaValidator(new ObjectMapper());
            for (ServedTool spec : specs) {
                var tool = spec.tool();
                var verdict = sdk.validateSchema(tool.inputSchema());
                assertTrue(verdict.valid(), () -> tool.name() + " input schema: " + verdict.errorMessage());
                if (tool.outputSchema() != null) {
                    var out = sdk.validateSchema(tool.outputSchema());
                    assertTrue(out.valid(), () -> tool.name() + " output schema: " + out.errorMessage());
                }
            }
        }
    }

    @Test
    void onlyTheRegisteredSchemaObjectsSkipValidation() {
        DerivedOutputValidator validator = new DerivedOutputValidator(new ObjectMapper());
        Map<String, Object> invalid = new HashMap<>(Map.of("type", 42));
        assertFalse(validator.validateSchema(invalid).valid(), "checked with the SDK's validator");
        validator.conforming(invalid);
        assertTrue(validator.validateSchema(invalid).valid(), "registered: not checked again");
        assertFalse(validator.validateSchema(new HashMap<>(invalid)).valid(), "an equal map is not the registered object");
        assertEquals(true, validator.validateSchema(Map.of("type", "object")).valid());
        // A component tool's schema, derived from WIT types, is not checked (DerivedSchemasTest checks the derivation).
        assertTrue(validator.validateSchema(new DerivedOutputValidator.DerivedSchema(Map.of("type", 42))).valid());
    }
}

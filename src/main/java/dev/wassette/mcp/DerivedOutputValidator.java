package dev.wassette.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.util.Map;

/**
 * The SDK checks every structured tool result against the tool's {@code outputSchema}. Here both
 * come from the same WIT type — the schema from {@code ToolSchemas}, the result from
 * {@code JsonValues} — so they agree by construction (and tests check the two against each other);
 * re-validating on every call only costs time on the call path. Schemas themselves (when tools are
 * added) are still checked by the SDK's validator.
 */
final class DerivedOutputValidator implements JsonSchemaValidator {
    private final JsonSchemaValidator schemas;

    DerivedOutputValidator(ObjectMapper json) {
        this.schemas = new DefaultJsonSchemaValidator(json);
    }

    @Override
    public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
        // No JSON rendering is needed: every result with structured content also carries it as text.
        return ValidationResponse.asValid(null);
    }

    @Override
    public ValidationResponse validateSchema(Map<String, Object> schema) {
        return schemas.validateSchema(schema);
    }
}

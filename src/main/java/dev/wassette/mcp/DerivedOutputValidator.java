package dev.wassette.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The SDK checks every structured tool result against the tool's {@code outputSchema}. Here both
 * come from the same WIT type — the schema from {@code ToolSchemas}, the result from
 * {@code JsonValues} — so they agree by construction (and tests check the two against each other);
 * re-validating on every call only costs time on the call path. Schemas themselves (when tools are
 * added) are still checked by the SDK's validator, built on first use (it loads the JSON Schema
 * 2020-12 meta-schema, a noticeable part of a cold start) — except the built-in tools' schemas, which
 * are constants of this code, {@linkplain #conforming registered} as such (a test checks them with
 * the SDK's validator): a server with no component tools starts without it.
 */
final class DerivedOutputValidator implements JsonSchemaValidator {
    private final ObjectMapper json;
    /** Schema instances known to conform; compared by identity, so only these very objects are skipped. */
    private final Set<Map<String, Object>> conforming = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    private volatile JsonSchemaValidator schemas;

    DerivedOutputValidator(ObjectMapper json) {
        this.json = json;
    }

    /** Registers a schema object that is a constant of this code and known (tested) to conform. */
    void conforming(Map<String, Object> schema) {
        if (schema != null) {
            conforming.add(schema);
        }
    }

    @Override
    public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
        // No JSON rendering is needed: every result with structured content also carries it as text.
        return ValidationResponse.asValid(null);
    }

    @Override
    public ValidationResponse validateSchema(Map<String, Object> schema) {
        if (conforming.contains(schema)) {
            return ValidationResponse.asValid(null);
        }
        return schemas().validateSchema(schema);
    }

    private JsonSchemaValidator schemas() {
        JsonSchemaValidator v = schemas;
        if (v == null) {
            synchronized (this) {
                v = schemas;
                if (v == null) {
                    schemas = v = new DefaultJsonSchemaValidator(json);
                }
            }
        }
        return v;
    }
}

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
 * added) are checked by the SDK's validator, built on first use (it loads the JSON Schema 2020-12
 * meta-schema, a noticeable part of a cold start), except those this code makes:
 * <ul>
 * <li>the built-in tools' schemas, constants {@linkplain #conforming registered} as such
 * ({@code BuiltinToolSchemasTest} checks them with the SDK's validator);</li>
 * <li>component tools' schemas, a {@link DerivedSchema}: {@code ToolSchemas} composes them from one
 * schema per kind of WIT type, and {@code DerivedSchemasTest} checks every kind, nested, with the
 * SDK's validator. Checking them here cost the first {@code load-component} of a process ~55 ms of
 * CPU in interpreted validator code, and every start with stored components its share.</li>
 * </ul>
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

    /** A component tool's input or output schema, derived from its WIT types by {@code ToolSchemas}. */
    static final class DerivedSchema extends java.util.LinkedHashMap<String, Object> {
        DerivedSchema(Map<String, Object> schema) {
            super(schema);
        }
    }

    @Override
    public ValidationResponse validateSchema(Map<String, Object> schema) {
        if (schema instanceof DerivedSchema || conforming.contains(schema)) {
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

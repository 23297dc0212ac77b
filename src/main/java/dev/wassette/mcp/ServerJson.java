package dev.wassette.mcp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Jackson mapper of a server. Jackson builds the (de)serializer of each type on first use, by
 * reflection over the type and its annotations; for the SDK's protocol records that is most of the
 * work of answering a cold server's first requests. {@link #prepareAhead()} builds a mapper and the
 * (de)serializers of the first messages (initialize, tools/list, a tool call) on another thread, at
 * the start of a server command; the first server made afterwards takes that mapper. The mapper's
 * configuration is the same either way, so is its output.
 */
public final class ServerJson {
    private static final AtomicReference<FutureTask<ObjectMapper>> AHEAD = new AtomicReference<>();

    /** Types read or written in the first exchanges (the SDK reads params through a {@code TypeRef}). */
    private static final List<Class<?>> READ = List.of(McpSchema.JSONRPCRequest.class, McpSchema.JSONRPCNotification.class,
            McpSchema.JSONRPCResponse.class, McpSchema.InitializeRequest.class, McpSchema.CallToolRequest.class);
    private static final List<Class<?>> WRITTEN = List.of(McpSchema.JSONRPCResponse.class, McpSchema.JSONRPCNotification.class,
            McpSchema.InitializeResult.class, McpSchema.ListToolsResult.class, McpSchema.CallToolResult.class);

    private ServerJson() {}

    /** Starts preparing the mapper of the next server on another thread (see the class comment). */
    public static void prepareAhead() {
        FutureTask<ObjectMapper> task = new FutureTask<>(ServerJson::prepared);
        if (AHEAD.compareAndSet(null, task)) {
            Thread.ofPlatform().name("wassette-json-init").daemon().start(task);
        }
    }

    /** A mapper for a new server: the one prepared ahead, if any (once), else a new one. */
    static ObjectMapper newMapper() {
        FutureTask<ObjectMapper> task = AHEAD.getAndSet(null);
        if (task != null) {
            try {
                return task.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                WassetteMcpServer.LOG.log(System.Logger.Level.DEBUG, "preparing the JSON mapper failed", e.getCause());
            }
        }
        return create();
    }

    private static ObjectMapper create() {
        return new ObjectMapper().registerModule(errorsAsJsonRpc());
    }

    private static ObjectMapper prepared() {
        ObjectMapper mapper = create();
        // Each call builds the (de)serializer of the type (and of the types it holds) and caches it in this mapper.
        mapper.canDeserialize(mapper.constructType(JsonNode.class));
        mapper.canDeserialize(mapper.getTypeFactory().constructMapType(java.util.Map.class, String.class, Object.class));
        for (Class<?> c : READ) {
            mapper.canDeserialize(mapper.constructType(c));
        }
        for (Class<?> c : WRITTEN) {
            mapper.canSerialize(c);
        }
        return mapper;
    }

    /**
     * The SDK's HTTP transport writes its {@code McpError}s through this mapper; serialize them as
     * JSON-RPC error responses instead of as Java exceptions with stack traces.
     */
    private static Module errorsAsJsonRpc() {
        var module = new SimpleModule("wassette-errors");
        module.addSerializer(McpError.class, new StdSerializer<>(McpError.class) {
            @Override
            public void serialize(McpError e, JsonGenerator gen, SerializerProvider provider) throws IOException {
                var error = e.getJsonRpcError();
                gen.writeStartObject();
                gen.writeStringField("jsonrpc", "2.0");
                gen.writeNullField("id");
                gen.writeObjectFieldStart("error");
                gen.writeNumberField("code", error == null || error.code() == null ? -32603 : error.code());
                gen.writeStringField("message", error == null || error.message() == null ? String.valueOf(e.getMessage()) : error.message());
                gen.writeEndObject();
                gen.writeEndObject();
            }
        });
        return module;
    }
}

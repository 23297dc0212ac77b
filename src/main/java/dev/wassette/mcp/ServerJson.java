package dev.wassette.mcp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Jackson mapper of a server. Jackson builds the (de)serializer of each type on first use, by
 * reflection over the type and its annotations; for the SDK's protocol records that is most of the
 * work of answering a cold server's first requests. {@link #prepareAhead()}, at the start of a server
 * command, builds a mapper on another thread, hands it to the first server made afterwards as soon
 * as it exists, and goes on to build in it the (de)serializers of the first messages (initialize,
 * tools/list, a tool call) — the mapper is thread-safe, and a request that needs one being built
 * waits for it instead of building it again. The mapper's configuration is the same either way, so
 * is its output.
 */
public final class ServerJson {
    private static final AtomicReference<CompletableFuture<ObjectMapper>> AHEAD = new AtomicReference<>();

    /** Types read (the SDK reads params through a {@code TypeRef}) and written, in the order the first exchanges need them. */
    private static final List<Class<?>> READ_FIRST = List.of(McpSchema.JSONRPCRequest.class, McpSchema.InitializeRequest.class);
    private static final List<Class<?>> WRITTEN = List.of(McpSchema.JSONRPCResponse.class, McpSchema.InitializeResult.class,
            McpSchema.ListToolsResult.class, McpSchema.CallToolResult.class, McpSchema.JSONRPCNotification.class);
    private static final List<Class<?>> READ_LATER = List.of(McpSchema.JSONRPCNotification.class, McpSchema.CallToolRequest.class,
            McpSchema.JSONRPCResponse.class);

    private ServerJson() {}

    /** Starts preparing the mapper of the next server on another thread (see the class comment). */
    public static void prepareAhead() {
        CompletableFuture<ObjectMapper> mapper = new CompletableFuture<>();
        if (AHEAD.compareAndSet(null, mapper)) {
            Thread.ofPlatform().name("wassette-json-init").daemon().start(() -> {
                ObjectMapper m;
                try {
                    m = create();
                } catch (Throwable t) {
                    mapper.completeExceptionally(t);
                    return;
                }
                mapper.complete(m);
                try {
                    resolveFirstTypes(m);
                } catch (RuntimeException | IOException e) {
                    WassetteMcpServer.LOG.log(System.Logger.Level.DEBUG, "preparing the JSON mapper failed", e);
                }
            });
        }
    }

    /** A mapper for a new server: the one prepared ahead, if any (once), else a new one. */
    static ObjectMapper newMapper() {
        CompletableFuture<ObjectMapper> ahead = AHEAD.getAndSet(null);
        if (ahead != null) {
            try {
                return ahead.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                WassetteMcpServer.LOG.log(System.Logger.Level.DEBUG, "creating the JSON mapper ahead failed", e.getCause());
            }
        }
        return create();
    }

    private static ObjectMapper create() {
        return new ObjectMapper().registerModule(errorsAsJsonRpc());
    }

    /** Each call builds the (de)serializer of a type (and of the types it holds) and caches it in the mapper. */
    private static void resolveFirstTypes(ObjectMapper mapper) throws IOException {
        // A first document: initializes the parser's classes (their static set-up includes BigDecimal's,
        // ~10 ms cold) and the tree reader that every stdin line goes through.
        mapper.readTree("{\"jsonrpc\":\"2.0\",\"id\":1}");
        mapper.canDeserialize(mapper.getTypeFactory().constructMapType(java.util.Map.class, String.class, Object.class)); // tool schemas
        for (Class<?> c : READ_FIRST) {
            mapper.canDeserialize(mapper.constructType(c));
        }
        for (Class<?> c : WRITTEN) {
            mapper.canSerialize(c);
        }
        for (Class<?> c : READ_LATER) {
            mapper.canDeserialize(mapper.constructType(c));
        }
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

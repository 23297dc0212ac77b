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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Work of a server's start that can run ahead, on another thread, while the command line is built,
 * the config read and the engine created: mostly first uses — of Jackson, which builds the
 * (de)serializer of each type on first use by reflection over the type and its annotations (for the
 * SDK's protocol records, most of the work of answering a cold server's first requests), and of JDK
 * facilities the SDK's first steps need. {@link #prepareAhead()}, at the start of a server command,
 * creates the server's JSON mapper, hands it to the first server made afterwards as soon as it exists
 * ({@link #newMapper()}), and goes on in the order the first exchanges (initialize, tools/list) need
 * things. The mapper is thread-safe, and a request that needs a deserializer being built
 * waits for it instead of building it again; its configuration is the same either way, so is its
 * output.
 */
public final class ServerStartup {
    private static final AtomicReference<CompletableFuture<ObjectMapper>> AHEAD = new AtomicReference<>();

    /** Types read (the SDK reads params through a {@code TypeRef}) and written by initialize and tools/list. */
    private static final List<Class<?>> READ = List.of(McpSchema.JSONRPCRequest.class, McpSchema.InitializeRequest.class,
            McpSchema.JSONRPCNotification.class);
    private static final List<Class<?>> WRITTEN = List.of(McpSchema.JSONRPCResponse.class, McpSchema.InitializeResult.class,
            McpSchema.ListToolsResult.class);

    private ServerStartup() {}

    /** Starts the work ahead on another thread (see the class comment); once per process. */
    public static void prepareAhead() {
        CompletableFuture<ObjectMapper> mapper = new CompletableFuture<>();
        if (AHEAD.compareAndSet(null, mapper)) {
            Thread.ofPlatform().name("wassette-server-init").daemon().start(() -> {
                ObjectMapper m;
                try {
                    m = create();
                } catch (Throwable t) {
                    mapper.completeExceptionally(t);
                    return;
                }
                mapper.complete(m);
                try {
                    firstUses(m);
                } catch (RuntimeException | IOException e) {
                    WassetteMcpServer.LOG.log(System.Logger.Level.DEBUG, "preparing the first exchanges ahead failed", e);
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

    /** In the order initialize and tools/list need them; each {@code can…} call builds and caches a (de)serializer. */
    private static void firstUses(ObjectMapper mapper) throws IOException {
        // A first document: initializes the parser's classes (their static set-up includes BigDecimal's,
        // ~10 ms cold) and the tree reader that every stdin line goes through.
        mapper.readTree("{\"jsonrpc\":\"2.0\",\"id\":1}");
        mapper.canDeserialize(mapper.getTypeFactory().constructMapType(java.util.Map.class, String.class, Object.class)); // tool schemas
        // The SDK names its session with a random UUID: the JDK's SecureRandom is set up on first use.
        UUID.randomUUID();
        for (Class<?> c : READ) {
            mapper.canDeserialize(mapper.constructType(c));
        }
        // The SDK logs (INFO) the client's capabilities and info at initialize, by their records'
        // toString, which the JDK links on first call (~5 ms cold).
        String.valueOf(new McpSchema.ClientCapabilities(null, null, null, null));
        String.valueOf(new McpSchema.Implementation("", ""));
        for (Class<?> c : WRITTEN) {
            mapper.canSerialize(c);
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

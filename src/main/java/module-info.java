/**
 * Wassette for Java: runs untrusted WebAssembly components in native Wasmtime inside the JVM, each
 * call under a capability policy, as a library ({@link dev.wassette.WassetteRuntime}) or as an MCP
 * server (the {@code wassette} command).
 *
 * <p>The API is {@code dev.wassette} (the embedding API), {@code dev.wassette.policy} (policies),
 * {@code dev.wassette.runtime} (values, types, traps, and the raw runtime under the policy layer) and
 * {@code dev.wassette.tools} (the JSON mapping of WIT values). The generated Panama bindings
 * ({@code dev.wassette.ffi}), the host, the MCP server and the command line are not exported.
 */
module dev.wassette {
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.toml;
    requires info.picocli;
    requires org.snakeyaml.engine.v2;
    requires org.bytedeco.javacpp;
    requires io.modelcontextprotocol.sdk.mcp.core;
    requires io.modelcontextprotocol.sdk.mcp.json.jackson2;
    requires reactor.core;
    requires org.reactivestreams;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.ee10.servlet;
    requires jakarta.servlet;
    requires java.logging;
    requires java.net.http;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires micrometer.registry.otlp;
    requires io.opentelemetry.api;
    requires io.opentelemetry.context;
    requires io.opentelemetry.sdk.common;
    requires io.opentelemetry.sdk.trace;
    requires io.opentelemetry.exporter.otlp;

    exports dev.wassette;
    exports dev.wassette.policy;
    exports dev.wassette.runtime;
    exports dev.wassette.tools;

    // picocli builds the command line from the commands' annotated fields, by reflection.
    opens dev.wassette.cli to info.picocli;
}

package dev.wassette.cli;

import dev.wassette.host.ComponentHost;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.mcp.StdioTransport;
import dev.wassette.mcp.WassetteMcpServer;
import dev.wassette.runtime.Engine;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FileInputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "run", description = {"Runs the MCP server over stdio (for Claude Desktop, VS Code, Cursor, agents).",
    "stdout carries only JSON-RPC; logs go to stderr. Exits when stdin closes."})
final class RunCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.wassette.cli");

    @Mixin
    ServerOptions options;

    @Override
    public Integer call() throws Exception {
        // Keep the real stdout for JSON-RPC; anything else that prints goes to stderr.
        OutputStream jsonRpc = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        Config config = options.config();
        try (Engine engine = Engines.create();
             ComponentHost host = new ComponentHost(engine, options.settings(config));
             WassetteMcpServer server = new WassetteMcpServer(host, !options.disableBuiltinTools)) {
            server.loadStoredComponents(); // first, so the first tools/list has the stored components' tools
            StdioTransport transport = new StdioTransport(server, new FileInputStream(FileDescriptor.in), jsonRpc,
                    HttpMcpServer.MAX_REQUEST_BYTES);
            server.stdio(transport);
            CountDownLatch stdinClosed = transport.start();
            LOG.log(System.Logger.Level.INFO, "wassette MCP server on stdio; components in {0}", host.store().directory());
            stdinClosed.await();
            LOG.log(System.Logger.Level.INFO, "stdin closed; finishing requests in flight");
            transport.awaitAnswered(host.settings().callTimeout().plusSeconds(10));
        }
        return WassetteCli.OK;
    }
}

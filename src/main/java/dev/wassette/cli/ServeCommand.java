package dev.wassette.cli;

import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.runtime.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", description = {"Runs the MCP server over streamable HTTP at /mcp (plus /health and /ready).",
    "Requests whose Host header is not allowed get 403 (DNS-rebinding defence)."})
final class ServeCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.wassette.cli");

    @Mixin
    ServerOptions options;

    @Option(names = "--bind-address", paramLabel = "HOST:PORT", description = "Listen address (default 127.0.0.1:9001).")
    String bindAddress;

    @Option(names = "--allowed-host", paramLabel = "HOST", description = "Allowed Host header value (repeatable; default: localhost, 127.0.0.1, [::1]).")
    List<String> allowedHosts = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        ClientEnvironment client = ClientEnvironment.ofThisProcess();
        Config config = options.config(client);
        String bind = bindAddress != null ? bindAddress : config.bindAddress();
        List<String> hosts = allowedHosts.isEmpty() ? config.allowedHosts() : allowedHosts;
        try (Engine engine = Engines.create();
             ComponentHost host = new ComponentHost(engine, options.settings(config, client));
             HttpMcpServer server = HttpMcpServer.start(host, !options.disableBuiltinTools, bind, hosts, options.sources(config))) {
            LOG.log(System.Logger.Level.INFO, "wassette MCP server on http://{0}/mcp (allowed hosts {1}); components in {2}",
                    server.address(), hosts, host.store().directory());
            server.join();
        }
        return WassetteCli.OK;
    }
}

package dev.wassette.cli;

import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.ProvisioningManifest;
import dev.wassette.mcp.HttpLimits;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.runtime.Engine;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", description = {"Runs the MCP server over streamable HTTP at /mcp (plus /health and /ready).",
    "Requests whose Host header is not allowed get 403 (DNS-rebinding defence)."})
final class ServeCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.wassette.cli");

    @Mixin
    ServerOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--bind-address", paramLabel = "HOST:PORT", description = "Listen address (default 127.0.0.1:9001).")
    String bindAddress;

    @Option(names = "--allowed-host", paramLabel = "HOST", description = "Allowed Host header value (repeatable; default: localhost, 127.0.0.1, [::1]).")
    List<String> allowedHosts = new ArrayList<>();

    @Option(names = "--stateless", description = {"Answer each request on its own (JSON, no session): any of several replicas behind a",
        "load balancer can answer any request. No list_changed or progress notifications."})
    boolean stateless;

    @Option(names = "--max-sessions", paramLabel = "N", description = "MCP sessions open at once; one more initialize gets HTTP 503 (default: 256).")
    int maxSessions = HttpLimits.DEFAULTS.maxSessions();

    @Option(names = "--max-requests-per-session", paramLabel = "N",
            description = "Requests of one session in flight at once; one more gets HTTP 429 (default: 64).")
    int maxRequestsPerSession = HttpLimits.DEFAULTS.maxRequestsPerSession();

    @Option(names = "--session-idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A session with no request (and no open event stream) this long is closed, within twice this (default: 30m).")
    Duration sessionIdleTimeout = HttpLimits.DEFAULTS.sessionIdleTimeout();

    @Option(names = "--max-connections", paramLabel = "N", description = "TCP connections open at once; more wait to be accepted (default: 1024).")
    int maxConnections = HttpLimits.DEFAULTS.maxConnections();

    @Option(names = "--connection-idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "A connection with nothing read or written this long is closed (default: 30s).")
    Duration connectionIdleTimeout = HttpLimits.DEFAULTS.connectionIdleTimeout();

    @Override
    public Integer call() throws Exception {
        ClientEnvironment client = ClientEnvironment.ofThisProcess();
        Config config = options.config(client);
        String bind = bindAddress != null ? bindAddress : config.bindAddress();
        List<String> hosts = allowedHosts.isEmpty() ? config.allowedHosts() : allowedHosts;
        PrintWriter err = spec.commandLine().getErr();
        ServerOptions.ManifestRead read = options.readManifest(client, err);
        if (read.unreadable()) {
            return WassetteCli.BAD_INPUT;
        }
        ProvisioningManifest manifest = read.manifest();
        try (Engine engine = Engines.create();
             ComponentHost host = new ComponentHost(engine, options.settings(config, client), options.sources(config, client))) {
            if (!options.provisionOrReport(host, manifest, err)) {
                return WassetteCli.BAD_INPUT;
            }
            HttpLimits limits = new HttpLimits(maxSessions, maxRequestsPerSession, sessionIdleTimeout, maxConnections, connectionIdleTimeout);
            try (HttpMcpServer server = HttpMcpServer.start(host, HttpMcpServer.Options.of(bind, hosts).withBuiltinTools(!options.disableBuiltinTools)
                    .withFollowStore(!options.pinned()).withTelemetry(options.telemetry(true, client)).withStateless(stateless).withLimits(limits))) {
                LOG.log(System.Logger.Level.INFO, "wassette MCP server on http://{0}/mcp{3} (allowed hosts {1}); components in {2}",
                        server.address().getHostString() + ":" + server.address().getPort(), hosts, host.store().directory(),
                        stateless ? ", stateless" : "");
                server.join();
            }
        }
        return WassetteCli.OK;
    }
}

package dev.wassette.cli;

import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.ProvisioningManifest;
import dev.wassette.mcp.EarlyAnswers;
import dev.wassette.mcp.EarlyResponder;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.mcp.OperatorEndpoints;
import dev.wassette.mcp.ServerStartup;
import dev.wassette.mcp.StreamTransport;
import dev.wassette.mcp.WassetteMcpServer;
import dev.wassette.runtime.Engine;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "run", description = {"Runs the MCP server over stdio (for Claude Desktop, VS Code, Cursor, agents).",
    "stdout carries only JSON-RPC; logs go to stderr. Exits when stdin closes.",
    "Started by ./wassette, the session is served by the per-user daemon (WASSETTE_DAEMON=off: by this process)."})
final class RunCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.wassette.cli");

    @Mixin
    ServerOptions options;

    @CommandLine.Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = {"Serve /metrics (Prometheus text), /info, /health and /ready on this address (Host header checked",
                "against the config's allowed hosts). Without it, no metrics are recorded."})
    String metricsAddress;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // Keep the real stdout for JSON-RPC; anything else that prints goes to stderr.
        OutputStream jsonRpc = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        ClientEnvironment client = ClientEnvironment.ofThisProcess();
        Config config = options.config(client);
        EarlyResponder responder = EarlyResponder.started();
        if (responder != null) {
            responder.configured(options.storeDirectory(config, client), options.servesBuiltinAndStoredToolsOnly());
        }
        // Only now: on two cores, starting them at once had the command line parsed in twice the time,
        // and an unrecorded configuration's early answers wait for it (bench/README.md, V).
        Engines.startCreating();
        ServerStartup.prepareAhead();
        PrintWriter err = spec.commandLine().getErr();
        ServerOptions.ManifestRead read = options.readManifest(client, err);
        if (read.unreadable()) {
            return WassetteCli.BAD_INPUT;
        }
        ProvisioningManifest manifest = read.manifest();
        try (Engine engine = Engines.create();
             ComponentHost host = new ComponentHost(engine, options.settings(config, client), options.sources(config, client));
             WassetteMcpServer server = new WassetteMcpServer(host, !options.disableBuiltinTools,
                     options.telemetry(metricsAddress != null, client))) {
            if (!options.provisionOrReport(host, manifest, err)) {
                return WassetteCli.BAD_INPUT;
            }
            StreamTransport transport = new StreamTransport(server, HttpMcpServer.MAX_REQUEST_BYTES);
            server.streams(transport);
            // The answers the next run of this configuration gives while its server starts
            // (EarlyResponder): written after each change, the first time when the start's loading of
            // the stored components ends. Listening before that loading starts, so it cannot end unheard.
            boolean relative = options.resolvesAgainstWorkingDirectory(config);
            Path earlyFile = responder == null ? null : responder.file(relative);
            EarlyAnswers early = null;
            if (earlyFile != null) {
                early = new EarlyAnswers(earlyFile, server, transport.protocolVersions(), host.store().directory(),
                        options.configurationFiles(client), relative ? client.workingDirectory() : null,
                        options.servesBuiltinAndStoredToolsOnly() ? responder.answersDirectory() : null);
                server.onChange(early::refresh);
                if (options.pinned()) {
                    early.refresh();
                }
            }
            // first, so the first tools/list has the stored components' tools
            Thread loading = options.pinned() ? null : server.loadStoredComponents();
            try (OperatorEndpoints endpoints = metricsAddress == null ? null
                    : OperatorEndpoints.start(server, metricsAddress, config.allowedHosts(), () -> loading == null || !loading.isAlive())) {
                if (endpoints != null) {
                    LOG.log(System.Logger.Level.INFO, "metrics on http://{0}:{1}/metrics", endpoints.address().getHostString(),
                            String.valueOf(endpoints.address().getPort()));
                }
                serve(transport, responder, early, host, jsonRpc);
            }
        }
        return WassetteCli.OK;
    }

    /**
     * Serves stdin/stdout until stdin closes, then lets the requests in flight finish. Takes over from
     * {@code responder} (null: none), which may have answered the session's opening already, and
     * writes {@code early} (null: none) if a change is still waiting to be written.
     */
    private static void serve(StreamTransport transport, EarlyResponder responder, EarlyAnswers early, ComponentHost host,
                              OutputStream jsonRpc) throws InterruptedException {
        EarlyResponder.HandOver handOver = responder == null ? null : responder.handOver();
        // The client is this process: no ClientEnvironment, the host's settings are its own.
        StreamTransport.Connection stdio = transport.open("stdio", handOver == null ? new FileInputStream(FileDescriptor.in) : handOver.input(),
                jsonRpc, null, null, handOver == null ? null : handOver.answered());
        CountDownLatch stdinClosed = stdio.start();
        LOG.log(System.Logger.Level.INFO, "wassette MCP server on stdio; components in {0}", host.store().directory());
        if (responder != null) {
            responder.forgetStale();
        }
        stdinClosed.await();
        LOG.log(System.Logger.Level.INFO, "stdin closed; finishing requests in flight");
        stdio.awaitAnswered(host.settings().callTimeout().plusSeconds(10));
        if (early != null) {
            early.flush();
        }
    }
}

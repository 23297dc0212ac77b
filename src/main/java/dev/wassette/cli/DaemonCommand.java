package dev.wassette.cli;

import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.Provisioner;
import dev.wassette.host.ProvisioningManifest;
import dev.wassette.mcp.EarlyAnswers;
import dev.wassette.mcp.HttpMcpServer;
import dev.wassette.mcp.LocalSocketServer;
import dev.wassette.mcp.LocalSocketServer.Admission;
import dev.wassette.mcp.OperatorEndpoints;
import dev.wassette.mcp.StreamTransport;
import dev.wassette.mcp.WassetteMcpServer;
import dev.wassette.runtime.Engine;
import dev.wassette.source.SourceSettings;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The per-user daemon behind {@code wassette-shim}: one JVM, one engine and compiled-code cache,
 * one copy of each component, serving the MCP sessions of every client started with the same
 * build and configuration. Each session is what {@code wassette run} would have been in its own
 * process: its arguments are parsed as {@code run}'s, and its tool calls see its client's
 * environment variables and working directory. Started by the shim, never by hand; it stops after
 * {@code --idle-timeout} without sessions.
 */
@Command(name = "daemon", hidden = true, description = "Serves the sessions of wassette-shim over a Unix socket (started by the shim).")
final class DaemonCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.wassette.cli");
    static final Duration DEFAULT_IDLE = Duration.ofMinutes(15);

    @Option(names = "--socket", required = true, paramLabel = "PATH", description = "Unix socket to listen on.")
    Path socket;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Exit after this long without sessions (default: $WASSETTE_DAEMON_IDLE, else 15m).")
    Duration idleTimeout;

    /**
     * What the sessions of one daemon must agree on: everything about the host but the client's
     * environment and directory. {@code provisioning} is the manifest's fingerprint (its content and
     * that of the files it names, see {@link ProvisioningManifest#fingerprint}) with how failures are
     * treated, so a session whose manifest says something else gets a daemon provisioned from it.
     */
    private record HostConfig(Path componentDir, Path secretsDir, Map<String, String> configEnv, Map<String, String> envFile,
                              Map<String, String> explicitEnv, Duration callTimeout, long maxResultBytes, boolean builtinTools,
                              String provisioning, SourceSettings sources, String metricsAddress, List<String> allowedHosts,
                              WassetteMcpServer.Telemetry otlp) {
        static HostConfig of(ComponentHost.Settings s, boolean builtinTools, ProvisioningManifest manifest, boolean continueOnFailure,
                             SourceSettings sources, String metricsAddress, List<String> allowedHosts, WassetteMcpServer.Telemetry otlp) {
            return new HostConfig(s.componentDir(), s.secretsDir(), s.configEnv(), s.envFile(), s.explicitEnv(),
                    s.callTimeout(), s.maxResultBytes(), builtinTools,
                    manifest == null ? null : manifest.fingerprint() + (continueOnFailure ? " continue-on-failure" : ""), sources,
                    metricsAddress, metricsAddress == null ? List.of() : allowedHosts, otlp);
        }
    }

    /** Created on its own thread while the socket is bound ({@link Engines#startCreating}); the first admission waits for it. */
    private final java.util.concurrent.CompletableFuture<Engine> engine = new java.util.concurrent.CompletableFuture<>();
    /** Parses every session's run arguments: picocli builds a command's model by reflection, once here. */
    private final RunCommand run = new RunCommand();
    /** Its parent holds the options every command inherits ({@code --log-format}): a session's, not the daemon's. */
    private final WassetteCli sessionTop = WassetteCli.forSessions();
    private final CommandLine topLine = new CommandLine(sessionTop).addSubcommand("run", run);
    private final CommandLine runLine = topLine.getSubcommands().get("run");
    /** The run arguments {@link #runLine} last parsed without an error, so its options hold what they say. */
    private List<String> parsedArgs;
    private HostConfig config;
    private ComponentHost host;
    private WassetteMcpServer server;
    private OperatorEndpoints endpoints;
    private StreamTransport transport;
    /** What the shim answers while the next daemon of this key starts (set with {@link #server}). */
    private EarlyAnswers early;
    /** Whether {@link #server} follows the component store (it does unless a manifest pins what it serves). */
    private boolean followsStore;
    /** The manifest entries that failed with --continue-on-provisioning-failure: every session is told. */
    private List<String> provisioningWarnings = List.of();

    @Override
    public Integer call() throws Exception {
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true)); // stdout is the log, too
        Duration idle = idleTimeout != null ? idleTimeout : idleFromEnvironment();
        // The socket first, while the engine is still being created: binding links its native calls
        // (~50 ms on a new JVM), and the shim waiting for the socket can send its handshake meanwhile.
        LocalSocketServer sockets = LocalSocketServer.bind(socket, idle, this::admit, new LogLineFormatter());
        Runtime.getRuntime().addShutdownHook(new Thread(sockets::unlink)); // SIGTERM: leave no socket behind
        Engine created;
        try {
            created = Engines.create();
        } catch (RuntimeException | Error e) {
            engine.completeExceptionally(e); // sessions waiting are refused with the reason
            sockets.close();
            throw e;
        }
        try (Engine e = created) {
            engine.complete(e);
            LOG.log(System.Logger.Level.INFO, "wassette daemon (pid {0}) on {1}; exits after {2} s without sessions",
                    String.valueOf(ProcessHandle.current().pid()), socket, String.valueOf(idle.toSeconds()));
            try {
                sockets.awaitIdle();
            } finally {
                sockets.close();
                LOG.log(System.Logger.Level.INFO, "wassette daemon stopping");
                synchronized (this) {
                    if (server != null) {
                        if (endpoints != null) {
                            endpoints.close();
                        }
                        early.writeLast(followsStore);
                        // Other daemons' answers no daemon wrote for a week (a configuration given once, another build).
                        Path own = EarlyAnswers.besideSocket(socket);
                        EarlyAnswers.forgetStale(own.getParent(), EarlyAnswers.DAEMON_FILES, java.util.Set.of(own));
                        server.close();
                        host.close();
                    }
                }
            }
        }
        return WassetteCli.OK;
    }

    private static Duration idleFromEnvironment() {
        String value = System.getenv("WASSETTE_DAEMON_IDLE");
        return value == null || value.isBlank() ? DEFAULT_IDLE : new DurationConverter().convert(value);
    }

    /**
     * Parses the session's {@code run} arguments in its client's environment. The first session
     * sets the host up; a later one whose configuration differs (a config file, an env file or an
     * option changed) retires this daemon, so the shim starts one that fits.
     */
    private synchronized Admission admit(LocalSocketServer.Hello hello) throws Exception {
        CommandLine cl = runLine; // reset to the defaults by each parse
        // The options depend on the arguments alone (no default reads the environment), and every
        // session of a daemon but the odd --log-format has the same: the previous parse is reused.
        if (!hello.args().equals(parsedArgs)) {
            parsedArgs = null;
            sessionTop.setLogFormat(null); // an option without a default value is not reset: the previous session's must not stay
            try {
                // As `wassette run …`: through the top command, whose options (--log-format) run inherits.
                topLine.parseArgs(java.util.stream.Stream.concat(java.util.stream.Stream.of("run"), hello.args().stream()).toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                return new Admission.Refuse(e.getMessage() + "\n" + cl.getUsageMessage(), WassetteCli.USAGE);
            }
            parsedArgs = List.copyOf(hello.args());
        }
        if (cl.isUsageHelpRequested()) {
            return new Admission.Refuse(cl.getUsageMessage(), WassetteCli.OK);
        }
        ClientEnvironment client = hello.client();
        Config sessionConfig;
        dev.wassette.source.SourceSettings sources;
        try {
            sessionConfig = run.options.config(client);
            sources = run.options.sources(sessionConfig, client);
        } catch (dev.wassette.source.TrustPolicy.InvalidTrustPolicyException e) {
            return new Admission.Refuse("error: " + e.getMessage(), WassetteCli.BAD_INPUT);
        }
        ComponentHost.Settings settings = run.options.settings(sessionConfig, client);
        ProvisioningManifest manifest;
        try {
            manifest = run.options.manifest(client);
        } catch (ProvisioningManifest.ManifestException | java.io.IOException e) {
            return new Admission.Refuse(provisioningFailure(e instanceof ProvisioningManifest.ManifestException m ? m.problems() : List.of(e.getMessage()),
                    false), WassetteCli.BAD_INPUT);
        }
        HostConfig wanted = HostConfig.of(settings, !run.options.disableBuiltinTools, manifest, run.options.continueOnProvisioningFailure,
                sources, run.metricsAddress, sessionConfig.allowedHosts(), run.options.telemetry(false, client));
        if (server == null) {
            ComponentHost created = new ComponentHost(engine.join(), settings, wanted.sources());
            WassetteMcpServer served = new WassetteMcpServer(created, wanted.builtinTools(),
                    new WassetteMcpServer.Telemetry(wanted.metricsAddress() != null, wanted.otlp().tracesUrl(), wanted.otlp().metricsUrl()));
            try {
                provisioningWarnings = run.options.provision(created, manifest);
            } catch (Provisioner.ProvisioningException e) {
                served.close();
                created.close();
                return new Admission.Refuse(provisioningFailure(e.problems(), true), WassetteCli.BAD_INPUT);
            }
            Thread loading = run.options.pinned() ? null : served.loadStoredComponents();
            if (wanted.metricsAddress() != null) {
                try {
                    endpoints = OperatorEndpoints.start(served, wanted.metricsAddress(), wanted.allowedHosts(),
                            () -> loading == null || !loading.isAlive());
                } catch (Exception e) {
                    served.close();
                    created.close();
                    return new Admission.Refuse("error: cannot serve metrics on " + wanted.metricsAddress() + ": " + e.getMessage(),
                            WassetteCli.USAGE);
                }
                LOG.log(System.Logger.Level.INFO, "daemon: " + metricsNotice());
            }
            host = created;
            server = served;
            transport = new StreamTransport(server, HttpMcpServer.MAX_REQUEST_BYTES);
            // What the shim answers for the next session that finds no daemon running, until this one
            // is up. Written after each change; the first time when the start's loading of the stored
            // components ends (it looks at the store last), not while the start needs the CPU. Listening
            // before the server is built: that loading waits for the server, and must not end unheard.
            early = new EarlyAnswers(EarlyAnswers.besideSocket(socket), server, transport.protocolVersions(), host.store().directory(),
                    run.options.configurationFiles(client), run.options.resolvesAgainstWorkingDirectory(sessionConfig) ? client.workingDirectory() : null);
            server.onChange(early::refresh);
            server.streams(transport);
            followsStore = loading != null;
            if (!followsStore) {
                early.refresh();
            }
            config = wanted;
            LOG.log(System.Logger.Level.INFO, "daemon: components in {0}", host.store().directory());
            provisioningWarnings.forEach(w -> LOG.log(System.Logger.Level.WARNING, w));
        } else if (!Objects.equals(config, wanted)) {
            return new Admission.Retire("a session asked for another configuration than this daemon's");
        }
        String logFormat = sessionTop.logFormat() != null ? sessionTop.logFormat() : client.variables().get("WASSETTE_LOG_FORMAT");
        return new Admission.Accept(transport, client, settings.callTimeout().plusSeconds(10),
                endpoints == null ? List.of() : List.of(metricsNotice()), provisioningWarnings, WassetteCli.logFormat(logFormat));
    }

    private String metricsNotice() {
        return "metrics on http://" + endpoints.address().getHostString() + ":" + endpoints.address().getPort() + "/metrics";
    }

    /** What the shim prints for a session whose manifest cannot be provisioned, as `run` would. */
    private String provisioningFailure(List<String> problems, boolean entriesFailed) {
        java.io.StringWriter text = new java.io.StringWriter();
        run.options.reportProvisioningFailure(new java.io.PrintWriter(text), problems, entriesFailed);
        return text.toString().strip();
    }
}

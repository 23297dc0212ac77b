package dev.wassette.cli;

import dev.wassette.mcp.EarlyResponder;
import dev.wassette.mcp.ServerStartup;
import dev.wassette.runtime.NativeLibrary;
import java.io.PrintWriter;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wassette} command line. Results go to stdout; logs and errors to stderr. */
@Command(name = "wassette", mixinStandardHelpOptions = true, versionProvider = WassetteCli.Version.class,
        description = "Runs WebAssembly Components as sandboxed tools, in native Wasmtime inside the JVM.")
public final class WassetteCli implements Runnable {
    /** Exit codes. */
    static final int OK = 0, GUEST_FAILED = 1, USAGE = 2, BAD_INPUT = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Whether {@code --log-format} sets this process's log format (not for the daemon's parse of a session's arguments). */
    private final boolean ownsProcessLog;
    /** {@code --log-format} as given; null when not given. */
    private String logFormat;

    public WassetteCli() {
        this(true);
    }

    private WassetteCli(boolean ownsProcessLog) {
        this.ownsProcessLog = ownsProcessLog;
    }

    /** A top command for parsing a daemon session's {@code run} arguments: {@code --log-format} is the session's. */
    static WassetteCli forSessions() {
        return new WassetteCli(false);
    }

    /** The {@code --log-format} of the last parse, or null. */
    String logFormat() {
        return logFormat;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("run") && java.util.Arrays.stream(args).noneMatch(WassetteCli::asksForHelp)) {
            // First of all: a client's opening can be answered as soon as this thread gets here.
            EarlyResponder.startForStdio(List.of(args).subList(1, args.length), System.getenv(), java.nio.file.Path.of(""),
                    new java.io.FileInputStream(java.io.FileDescriptor.in), new java.io.FileOutputStream(java.io.FileDescriptor.out));
        }
        for (Class<?> c : SERVERS) {
            if (args.length > 0 && args[0].equals(c.getAnnotation(Command.class).name())) {
                // On other threads, while the command line is built and the config read.
                Engines.startCreating();
                ServerStartup.prepareAhead();
                break;
            }
        }
        configureLogging();
        int code;
        try {
            code = commandLine(args).execute(args);
        } catch (Throwable t) { // e.g. the native library failed to load: one clear line, not a stack trace
            System.err.println("error: " + (t.getMessage() == null ? t : t.getMessage()));
            code = USAGE;
        }
        System.exit(code);
    }

    private static boolean asksForHelp(String arg) {
        return arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version");
    }

    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(RunCommand.class, ServeCommand.class, ComponentCommand.class,
            ToolCommand.class, InspectCommand.class, CallCommand.class, PolicyCommand.class, PermissionCommand.class,
            SecretCommand.class, CommandLine.HelpCommand.class, picocli.AutoComplete.GenerateCompletion.class, AotTrainCommand.class,
            DaemonCommand.class);

    /**
     * The server commands whose engine and JSON mapper are prepared at once ({@link Engines#startCreating},
     * {@link ServerStartup#prepareAhead}); {@code run} starts them once its command line is parsed.
     */
    private static final List<Class<?>> SERVERS = List.of(ServeCommand.class, AotTrainCommand.class, DaemonCommand.class);

    /** The whole command line (for help and completion). */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command line for {@code args}. Picocli builds each command's model by reflection, which
     * takes a large share of a server's start-up; when the first argument names a command, only that
     * one is built. Help and completion need them all.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine cl = new CommandLine(new WassetteCli());
        String first = args == null || args.length == 0 ? null : args[0];
        boolean added = false;
        if (first != null && !first.equals("help") && !first.equals("generate-completion")) {
            for (Class<?> c : SUBCOMMANDS) {
                if (first.equals(c.getAnnotation(Command.class).name())) {
                    cl.addSubcommand(c);
                    added = true;
                }
            }
        }
        if (!added) {
            SUBCOMMANDS.forEach(cl::addSubcommand);
        }
        cl.setErr(new PrintWriter(System.err, true));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            System.getLogger("dev.wassette.cli").log(System.Logger.Level.DEBUG, "command failed", ex);
            commandLine.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return ex instanceof dev.wassette.source.TrustPolicy.InvalidTrustPolicyException ? BAD_INPUT : USAGE;
        });
        return cl;
    }

    /** Held here: java.util.logging keeps loggers weakly, and a collected one would forget its level. */
    private static final Logger SDK_SERVER_LOG = Logger.getLogger("io.modelcontextprotocol.server.McpAsyncServer");

    /** One-line log records on stderr; stdout is reserved for results (and JSON-RPC in server mode). */
    static void configureLogging() {
        // A format of the user's own (SimpleFormatter's property) is honoured; else the fast formatter.
        boolean customFormat = System.getProperty("java.util.logging.SimpleFormatter.format") != null;
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        StderrLogHandler stderr = new StderrLogHandler(customFormat ? new SimpleFormatter() : logFormat(System.getenv("WASSETTE_LOG_FORMAT")));
        String level = System.getenv().getOrDefault("WASSETTE_LOG", "INFO");
        try {
            stderr.setLevel(Level.parse(level.toUpperCase()));
            root.setLevel(Level.parse(level.toUpperCase()));
        } catch (IllegalArgumentException e) {
            stderr.setLevel(Level.INFO);
        }
        // The SDK's INFO line for each initialize request: the transports log who the client is
        // themselves, more cheaply (JsonRpcChecks.client). Kept at a finer WASSETTE_LOG.
        if (root.getLevel() == null || root.getLevel().intValue() >= Level.INFO.intValue()) {
            SDK_SERVER_LOG.setLevel(Level.WARNING);
        }
        root.addHandler(stderr);
    }

    /** Log lines as {@code text} (the default) or {@code json} (one object per line); WASSETTE_LOG_FORMAT sets the same. */
    @CommandLine.Option(names = "--log-format", paramLabel = "text|json", scope = CommandLine.ScopeType.INHERIT,
            description = "Log lines on stderr as text (default) or json (one object per line, for log shippers; also $WASSETTE_LOG_FORMAT).")
    void setLogFormat(String format) {
        if (format == null) { // picocli resetting the option before a parse
            logFormat = null;
            return;
        }
        if (!format.equals("text") && !format.equals("json")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--log-format must be text or json, got \"" + format + "\"");
        }
        logFormat = format;
        if (ownsProcessLog) {
            for (var h : Logger.getLogger("").getHandlers()) {
                if (h instanceof StderrLogHandler) {
                    h.setFormatter(logFormat(format));
                }
            }
        }
    }

    /** The formatter for {@code format} ({@code json}; anything else, or null, is text). */
    static java.util.logging.Formatter logFormat(String format) {
        return "json".equals(format) ? new JsonLogFormatter() : new LogLineFormatter();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String ours = WassetteCli.class.getPackage().getImplementationVersion();
            return new String[] {
                "wassette-java " + (ours == null ? "dev" : ours),
                "wasmtime " + NativeLibrary.WASMTIME_VERSION + " (native library " + NativeLibrary.version() + ")",
                "java " + Runtime.version()
            };
        }
    }
}

package dev.wassette.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * WASI preview 2 settings of one store. Nothing is inherited from the host process: no
 * directories, environment variables or arguments beyond those given here, empty stdin, and guest
 * stdout/stderr go to the given consumers (by default the {@code dev.wassette.guest} logger). The
 * network is reachable only through the store's {@link EgressCheck}.
 */
public final class WasiConfig {
    /**
     * A host directory visible to the guest at {@code guestPath}.
     *
     * @param hostPath the host directory
     * @param guestPath the path the guest sees it at
     * @param writable whether the guest may modify it
     */
    public record Preopen(Path hostPath, String guestPath, boolean writable) {}

    /** A directory to preopen could not be opened (it does not exist, or is not readable). */
    public static final class PreopenException extends WasmtimeException {
        private final Path hostPath;

        PreopenException(Path hostPath, String guestPath) {
            super("cannot preopen directory " + hostPath + " as " + guestPath + " (does it exist and is it readable?)");
            this.hostPath = hostPath;
        }

        /**
         * The directory that could not be opened.
         *
         * @return the host path
         */
        public Path hostPath() {
            return hostPath;
        }
    }

    private static final System.Logger GUEST_LOG = System.getLogger("dev.wassette.guest");

    private final List<Preopen> preopens = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<String> args = new ArrayList<>();
    private Consumer<String> stdout = line -> GUEST_LOG.log(System.Logger.Level.INFO, "[guest stdout] {0}", line);
    private Consumer<String> stderr = line -> GUEST_LOG.log(System.Logger.Level.INFO, "[guest stderr] {0}", line);
    private boolean sockets;
    private boolean nameLookup;

    /**
     * Makes a host directory visible to the guest.
     *
     * @param hostPath the host directory; made absolute and normalized
     * @param guestPath the path the guest sees it at
     * @param writable whether the guest may modify it
     * @return this configuration
     */
    public WasiConfig preopenDirectory(Path hostPath, String guestPath, boolean writable) {
        preopens.add(new Preopen(hostPath.toAbsolutePath().normalize(), Objects.requireNonNull(guestPath), writable));
        return this;
    }

    /**
     * Adds a preopen as it is (its host path already absolute and normalized).
     *
     * @param preopen the preopen
     * @return this configuration
     */
    public WasiConfig preopen(Preopen preopen) {
        preopens.add(Objects.requireNonNull(preopen));
        return this;
    }

    /**
     * Sets an environment variable of the guest.
     *
     * @param key the name
     * @param value the value
     * @return this configuration
     */
    public WasiConfig env(String key, String value) {
        env.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
        return this;
    }

    /**
     * Appends command-line arguments of the guest.
     *
     * @param arguments the arguments
     * @return this configuration
     */
    public WasiConfig args(List<String> arguments) {
        args.addAll(arguments);
        return this;
    }

    /**
     * Where the guest's stdout goes, line by line; called on the thread running the guest.
     *
     * @param lines the consumer of lines
     * @return this configuration
     */
    public WasiConfig stdout(Consumer<String> lines) {
        this.stdout = Objects.requireNonNull(lines);
        return this;
    }

    /**
     * Where the guest's stderr goes, line by line; called on the thread running the guest.
     *
     * @param lines the consumer of lines
     * @return this configuration
     */
    public WasiConfig stderr(Consumer<String> lines) {
        this.stderr = Objects.requireNonNull(lines);
        return this;
    }

    /**
     * Lets the guest use {@code wasi:sockets} (TCP/UDP), every address still decided by the store's
     * egress check; {@code nameLookup} also enables {@code wasi:sockets/ip-name-lookup}.
     *
     * @param enabled whether to allow sockets
     * @param nameLookup whether to allow name lookup too
     * @return this configuration
     */
    public WasiConfig sockets(boolean enabled, boolean nameLookup) {
        this.sockets = enabled;
        this.nameLookup = nameLookup;
        return this;
    }

    /**
     * The directories to preopen.
     *
     * @return an immutable copy, in the order added
     */
    public List<Preopen> preopens() {
        return List.copyOf(preopens);
    }

    /**
     * The guest's environment variables.
     *
     * @return an immutable copy
     */
    public Map<String, String> env() {
        return Map.copyOf(env);
    }

    List<String> argList() {
        return args;
    }

    Consumer<String> stdoutSink() {
        return stdout;
    }

    Consumer<String> stderrSink() {
        return stderr;
    }

    boolean socketsEnabled() {
        return sockets;
    }

    boolean nameLookupEnabled() {
        return nameLookup;
    }
}

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
    /** A host directory visible to the guest at {@code guestPath}. */
    public record Preopen(Path hostPath, String guestPath, boolean writable) {}

    /** A directory to preopen could not be opened (it does not exist, or is not readable). */
    public static final class PreopenException extends WasmtimeException {
        private final Path hostPath;

        PreopenException(Path hostPath, String guestPath) {
            super("cannot preopen directory " + hostPath + " as " + guestPath + " (does it exist and is it readable?)");
            this.hostPath = hostPath;
        }

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

    public WasiConfig preopenDirectory(Path hostPath, String guestPath, boolean writable) {
        preopens.add(new Preopen(hostPath.toAbsolutePath().normalize(), Objects.requireNonNull(guestPath), writable));
        return this;
    }

    /** Adds a preopen as it is (its host path already absolute and normalized). */
    public WasiConfig preopen(Preopen preopen) {
        preopens.add(Objects.requireNonNull(preopen));
        return this;
    }

    public WasiConfig env(String key, String value) {
        env.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
        return this;
    }

    public WasiConfig args(List<String> arguments) {
        args.addAll(arguments);
        return this;
    }

    public WasiConfig stdout(Consumer<String> lines) {
        this.stdout = Objects.requireNonNull(lines);
        return this;
    }

    public WasiConfig stderr(Consumer<String> lines) {
        this.stderr = Objects.requireNonNull(lines);
        return this;
    }

    /**
     * Lets the guest use {@code wasi:sockets} (TCP/UDP), every address still decided by the store's
     * egress check; {@code nameLookup} also enables {@code wasi:sockets/ip-name-lookup}.
     */
    public WasiConfig sockets(boolean enabled, boolean nameLookup) {
        this.sockets = enabled;
        this.nameLookup = nameLookup;
        return this;
    }

    public List<Preopen> preopens() {
        return List.copyOf(preopens);
    }

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

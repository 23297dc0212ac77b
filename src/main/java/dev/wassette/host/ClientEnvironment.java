package dev.wassette.host;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The process environment and working directory of the client a session serves. A server that
 * serves one client uses its own ({@link #ofThisProcess}); the per-user daemon serves many, each
 * with the environment and directory its stdio shim was started with, so components see the
 * variables their client's session was given (policies still filter them) and relative
 * {@code fs://} rules and paths resolve where that client runs.
 */
public record ClientEnvironment(Map<String, String> variables, Path workingDirectory) {
    public ClientEnvironment {
        variables = Map.copyOf(variables);
        workingDirectory = Objects.requireNonNull(workingDirectory).toAbsolutePath().normalize();
    }

    public static ClientEnvironment ofThisProcess() {
        return new ClientEnvironment(System.getenv(), Path.of("").toAbsolutePath());
    }

    /** {@code path} resolved against the working directory. */
    public Path resolve(Path path) {
        return workingDirectory.resolve(path);
    }
}

package dev.wassette;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Other processes of the tests (servers, daemons), found by their arguments. */
public final class Processes {
    private Processes() {}

    /**
     * A process's arguments, from {@code /proc}: {@link ProcessHandle.Info#arguments()} reads only the
     * first page of the command line and gives none when it is longer, as a test JVM's class path makes it.
     */
    public static List<String> arguments(ProcessHandle p) {
        try {
            return List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), StandardCharsets.UTF_8).split("\0"));
        } catch (IOException | RuntimeException e) {
            return List.of(); // gone meanwhile, or not ours to read
        }
    }
}

package dev.wassette;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The lock under which {@code wassette-shim} starts the daemon of a key ({@code <key>.lock} in its
 * runtime directory), held by a {@code flock} process: the shim locks with flock(2), which Java's file
 * locks do not see. While it is held no daemon of that key can start, so a shim that finds none answers
 * what it can itself ({@code early.rs}), whatever the machine's speed.
 */
public final class DaemonStartLock implements AutoCloseable {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private final Process holder;

    private DaemonStartLock(Process holder) {
        this.holder = holder;
    }

    /** Holds the lock of the one daemon key whose lock file is in {@code runtimeDirectory} (a shim created it before). */
    public static DaemonStartLock hold(Path runtimeDirectory) throws Exception {
        Path lock;
        try (Stream<Path> files = Files.list(runtimeDirectory)) {
            lock = files.filter(f -> f.toString().endsWith(".lock")).findFirst()
                    .orElseThrow(() -> new AssertionError("no daemon start lock in " + runtimeDirectory));
        }
        // -o: the command does not inherit the lock, so it ends with flock itself.
        Process holder = new ProcessBuilder("flock", "-o", lock.toString(), "sh", "-c", "echo locked; exec sleep 600")
                .redirectErrorStream(true).start();
        BufferedReader said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return said.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(BOUND.toSeconds(), TimeUnit.SECONDS);
        if (!"locked".equals(line)) {
            holder.destroyForcibly();
            throw new AssertionError("flock did not take " + lock + ": " + line);
        }
        return new DaemonStartLock(holder);
    }

    /** Releases the lock: a shim waiting for it starts its daemon. */
    @Override
    public void close() throws Exception {
        holder.descendants().forEach(ProcessHandle::destroy);
        holder.destroy();
        if (!holder.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("flock did not exit within " + BOUND.toSeconds() + " s");
        }
    }
}

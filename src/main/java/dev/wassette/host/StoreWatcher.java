package dev.wassette.host;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Watches the component store directory for components that another process (the CLI, another
 * server) adds, replaces or removes, and runs a callback once per burst of changes.
 *
 * <p>Only the final {@code <id>.wasm} names count: store writes are a temporary file renamed into
 * place, so a {@code .wasm} event always means a complete file, and temporary, precompiled,
 * metadata and policy files are ignored (policies are read per call anyway). Events are debounced
 * — the callback runs once the directory has been quiet for {@code quiet}, or {@code maxDelay}
 * after the first event of a steady stream. The callback must compare the store's content with
 * what is loaded: it also runs when events may have been lost (overflow) and when the directory
 * appears, and this process's own writes trigger it too.
 *
 * <p>A directory that does not exist yet is waited for by watching its nearest existing ancestor;
 * one that is deleted is waited for again.
 */
public final class StoreWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.wassette.host");

    private final Path directory;
    private final Runnable onChange;
    private final long quietNanos;
    private final long maxDelayNanos;
    private final WatchService service;
    private final Thread thread;
    private volatile boolean closed;

    private WatchKey current; // confined to the watcher thread once started

    private StoreWatcher(Path directory, Runnable onChange, Duration quiet, Duration maxDelay) throws IOException {
        this.directory = directory.toAbsolutePath().normalize();
        this.onChange = onChange;
        this.quietNanos = quiet.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
        this.service = this.directory.getFileSystem().newWatchService();
        try {
            this.current = rewatch();
        } catch (IOException | RuntimeException e) {
            service.close();
            throw e;
        }
        this.thread = Thread.ofPlatform().name("wassette-store-watch").daemon().unstarted(this::run);
    }

    /**
     * Starts watching. The directory (or, while it is missing, its nearest existing ancestor) is
     * registered before this returns, so every change made afterwards is seen.
     */
    public static StoreWatcher start(Path directory, Runnable onChange, Duration quiet, Duration maxDelay) throws IOException {
        StoreWatcher w = new StoreWatcher(directory, onChange, quiet, maxDelay);
        w.thread.start();
        return w;
    }

    /** Watches the store directory, or its nearest existing ancestor while it does not exist. */
    private WatchKey rewatch() throws IOException {
        while (true) {
            Path target = nearestExisting();
            if (current != null && current.isValid() && target.equals(current.watchable())) {
                return current;
            }
            if (current != null) {
                current.cancel();
                current = null;
            }
            try {
                WatchKey key = target.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
                current = key;
                // A directory created below the ancestor before its registration sent us no event.
                if (nearestExisting().equals(target)) {
                    if (target.equals(directory) && directory.getParent() != null) {
                        watchParent();
                    }
                    return key;
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // removed between the look and the registration: look again
            }
        }
    }

    /**
     * Watches the store directory's parent for its entries too, while the directory exists: a
     * deleted directory sends no event of its own while its inode lives on (a process still maps a
     * file that was in it, as a loaded component's precompiled code), but its name's deletion shows
     * in the parent. Its key, signalled, only makes {@link #process} look again.
     */
    private void watchParent() {
        try {
            directory.getParent().register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            // the directory's own events still come; a parent gone takes the directory with it
        }
    }

    private Path nearestExisting() throws IOException {
        Path p = directory;
        while (p != null && !Files.isDirectory(p)) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IOException("no existing directory above " + directory);
        }
        return p;
    }

    private void run() {
        try {
            while (!closed) {
                if (!process(service.take())) {
                    continue;
                }
                // Debounce: events of the same burst extend the wait, up to maxDelay after the first.
                long first = System.nanoTime();
                while (!closed) {
                    long left = maxDelayNanos - (System.nanoTime() - first);
                    WatchKey more = left <= 0 ? null : service.poll(Math.min(quietNanos, left), TimeUnit.NANOSECONDS);
                    if (more == null) {
                        break;
                    }
                    process(more);
                }
                if (!closed) {
                    fire();
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // closed
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "stopped watching the component store {0}: {1}", directory, e.getMessage());
            }
        }
    }

    /**
     * Consumes a signalled key's events; returns whether the store may have changed: a complete
     * component file appeared, changed or went, events were lost, or the directory itself appeared
     * or went.
     */
    private boolean process(WatchKey signalled) throws IOException {
        boolean store = directory.equals(signalled.watchable());
        boolean relevant = false;
        for (WatchEvent<?> event : signalled.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                relevant = true;
            } else if (store && event.context() instanceof Path name) {
                String n = name.toString();
                relevant |= n.endsWith(".wasm") && !n.startsWith(".");
            }
        }
        boolean valid = signalled.reset();
        if (!store || !valid) {
            WatchKey before = current;
            WatchKey after = rewatch();
            // The directory appeared, or went (seen by its key's end or, in the parent, by its name's).
            relevant |= store && !valid || after != before && (directory.equals(after.watchable()) || directory.equals(before.watchable()));
        }
        return relevant;
    }

    private void fire() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot apply changes of the component store {0}: {1}", directory, e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            service.close();
        } catch (IOException ignored) {
            // nothing to release beyond what close already did
        }
        thread.interrupt();
        try {
            // A sync in progress may be compiling: let it finish before the caller closes the engine.
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.wassette.cli;

import dev.wassette.host.ComponentSources;
import dev.wassette.source.ComponentFetcher;
import dev.wassette.source.ComponentSource;
import dev.wassette.source.Digest;
import dev.wassette.source.FetchedComponent;
import dev.wassette.source.Progress;
import dev.wassette.source.RegistryCredentials;
import dev.wassette.source.SourceException;
import dev.wassette.source.SourceSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where a command's component comes from: a file, an HTTPS URL or an OCI reference, with an
 * optional pin; fetched under the config file's source settings ({@code insecure_registries},
 * {@code ca_certificates}, …) and {@code WASSETTE_*} variables, showing progress on stderr.
 */
final class SourceOptions {
    @Option(names = "--digest", paramLabel = "sha256:HEX",
            description = "Pin: the digest the component must have (an OCI artifact's manifest digest; an HTTPS body's or file's digest).")
    String digest;

    @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]",
            description = "Registry that may be reached over plain HTTP (repeatable; loopback always may).")
    List<String> insecureRegistries = new ArrayList<>();

    /** The config file's source settings ({@code WASSETTE_*} variables over it) plus the options. */
    SourceSettings settings() throws IOException {
        return Config.load(Config.defaultFile(), System.getenv()).sources().settings(insecureRegistries);
    }

    /** Parses {@code text} as a source, relative paths against the working directory. */
    ComponentSource source(String text) {
        return ComponentSource.parse(text, Path.of("").toAbsolutePath(), digest == null ? null : Digest.parse(digest));
    }

    /**
     * Fetches {@code source} as {@code component load} does (with what it declares, see
     * {@link ComponentSources}), reporting progress of long downloads on {@code err}.
     */
    ComponentSources.Fetched fetchWithDeclaration(String source, SourceSettings settings, PrintWriter err)
            throws ComponentSources.SourceException, IOException {
        ComponentSources.Fetched fetched = new ComponentSources(settings).fetch(source, Path.of("").toAbsolutePath(), digest,
                RegistryCredentials.fromEnvironment(System.getenv()), new StderrProgress(err));
        if (ComponentSources.isRemote(source)) {
            fetched(err, source, fetched.digest(), fetched.fromCache());
        }
        return fetched;
    }

    /** Fetches {@code source}'s component alone (what {@code call} needs), reporting progress of long downloads on {@code err}. */
    FetchedComponent fetch(ComponentSource source, PrintWriter err) throws SourceException, IOException {
        ComponentFetcher fetcher = new ComponentFetcher(settings());
        FetchedComponent fetched = fetcher.fetch(source, RegistryCredentials.fromEnvironment(System.getenv()), new StderrProgress(err));
        if (!(source instanceof ComponentSource.File)) {
            fetched(err, source.toString(), fetched.digest().toString(), fetched.offline());
        }
        return fetched;
    }

    private static void fetched(PrintWriter err, String source, String digest, boolean fromCache) {
        err.println("fetched " + source + " (" + digest + (fromCache ? ", from the cache" : "") + ")");
        err.flush();
    }

    /** Progress lines on stderr, at most one a second; a download done within the first second prints none. */
    static final class StderrProgress implements Progress {
        private static final long INTERVAL_NANOS = 1_000_000_000L;
        private final PrintWriter err;
        private final long started = System.nanoTime();
        private long lastPrinted;
        private String printing;

        StderrProgress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void update(String what, long done, long total) {
            long now = System.nanoTime();
            boolean finished = total >= 0 && done >= total;
            if (finished ? !what.equals(printing) : now - started < INTERVAL_NANOS || now - lastPrinted < INTERVAL_NANOS) {
                return;
            }
            lastPrinted = now;
            printing = what;
            err.println("  " + what + ": " + size(done) + (total >= 0 ? " of " + size(total) + " (" + (100 * done / Math.max(1, total)) + " %)" : ""));
            err.flush();
        }

        static String size(long bytes) {
            if (bytes < 1024) {
                return bytes + " B";
            }
            if (bytes < 1024 * 1024) {
                return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
            }
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        }
    }
}

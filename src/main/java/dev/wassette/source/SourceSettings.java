package dev.wassette.source;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How components are fetched from registries and HTTPS servers.
 *
 * @param cacheDirectory     the content-addressed blob cache ({@code blobs/sha256/<hex>} below it)
 * @param insecureRegistries registries (host or host:port) that may be reached over plain HTTP
 *                           besides loopback ones
 * @param caCertificates     a PEM file of CA certificates trusted besides the JVM's, or null
 * @param maxManifestBytes   the largest manifest or index accepted
 * @param maxComponentBytes  the largest component (OCI layer or HTTPS body) accepted
 * @param connectTimeout     limit for opening a connection
 * @param readTimeout        limit for a response to start and for each wait for more of its body
 */
public record SourceSettings(Path cacheDirectory, List<String> insecureRegistries, Path caCertificates,
                             long maxManifestBytes, long maxComponentBytes, Duration connectTimeout, Duration readTimeout) {
    public static final long DEFAULT_MAX_MANIFEST_BYTES = 4L << 20;
    public static final long DEFAULT_MAX_COMPONENT_BYTES = 256L << 20;
    /** A declared policy is a short YAML file. */
    static final long MAX_POLICY_BYTES = 1L << 20;

    public SourceSettings {
        insecureRegistries = insecureRegistries.stream().map(r -> r.strip().toLowerCase(Locale.ROOT)).filter(r -> !r.isEmpty()).toList();
        if (maxManifestBytes <= 0 || maxComponentBytes <= 0) {
            throw new IllegalArgumentException("size limits must be positive");
        }
    }

    public static SourceSettings defaults(Path cacheDirectory) {
        return new SourceSettings(cacheDirectory, List.of(), null, DEFAULT_MAX_MANIFEST_BYTES, DEFAULT_MAX_COMPONENT_BYTES,
                Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    public SourceSettings withInsecureRegistries(List<String> registries) {
        return new SourceSettings(cacheDirectory, registries, caCertificates, maxManifestBytes, maxComponentBytes, connectTimeout, readTimeout);
    }

    public SourceSettings withCaCertificates(Path pemFile) {
        return new SourceSettings(cacheDirectory, insecureRegistries, pemFile, maxManifestBytes, maxComponentBytes, connectTimeout, readTimeout);
    }

    public SourceSettings withLimits(long manifestBytes, long componentBytes) {
        return new SourceSettings(cacheDirectory, insecureRegistries, caCertificates, manifestBytes, componentBytes, connectTimeout, readTimeout);
    }

    public SourceSettings withTimeouts(Duration connect, Duration read) {
        return new SourceSettings(cacheDirectory, insecureRegistries, caCertificates, maxManifestBytes, maxComponentBytes, connect, read);
    }

    /**
     * Whether {@code host} (a registry's host, with {@code port} or -1) may be spoken to over plain
     * HTTP: a loopback name or address, or a registry listed as insecure (by host, or host:port).
     */
    public boolean allowsPlainHttp(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        if (isLoopback(h)) {
            return true;
        }
        String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        for (String entry : insecureRegistries) {
            if (entry.equals(h) || entry.equals(bare) || port >= 0 && (entry.equals(h + ":" + port) || entry.equals("[" + bare + "]:" + port))) {
                return true;
            }
        }
        return false;
    }

    /** {@code localhost} or a loopback address literal; decided without a DNS query. */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return true;
        }
        String bare = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        try {
            return InetAddress.ofLiteral(bare).isLoopbackAddress(); // parsed, never looked up
        } catch (IllegalArgumentException e) {
            return false; // a name other than localhost
        }
    }
}

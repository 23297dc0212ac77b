package dev.wassette.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.wassette.host.Paths;
import dev.wassette.source.SourceSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Server settings from {@code $XDG_CONFIG_HOME/wassette/config.toml}, overridden by {@code WASSETTE_*}
 * environment variables, overridden by command-line options:
 *
 * <pre>
 * component_dir = "/path/to/components"     # WASSETTE_COMPONENT_DIR
 * secrets_dir   = "/path/to/secrets"        # WASSETTE_SECRETS_DIR
 * bind_address  = "127.0.0.1:9001"          # WASSETTE_BIND_ADDRESS
 * allowed_hosts = ["localhost", "127.0.0.1"] # WASSETTE_ALLOWED_HOSTS (comma-separated)
 * call_timeout  = "30s"                     # WASSETTE_CALL_TIMEOUT
 * insecure_registries = ["reg.internal:5000"] # WASSETTE_INSECURE_REGISTRIES (comma-separated): plain HTTP allowed
 * ca_certificates = "/etc/ssl/private-ca.pem" # WASSETTE_CA_CERTIFICATES: trusted besides the JVM's CAs
 * max_component_size = 268435456            # WASSETTE_MAX_COMPONENT_SIZE (bytes) of a downloaded component
 * download_timeout = "30s"                  # WASSETTE_DOWNLOAD_TIMEOUT: for a response, and each pause in a body
 * [environment]                             # offered to components (policy still filters)
 * API_BASE = "https://api.example.com"
 * </pre>
 */
record Config(Path componentDir, Path secretsDir, String bindAddress, List<String> allowedHosts, Duration callTimeout,
              Map<String, String> environment, Sources sources) {

    /** Settings of component sources (registries, HTTPS downloads). */
    record Sources(List<String> insecureRegistries, Path caCertificates, long maxComponentBytes, Duration downloadTimeout) {
        /** Source settings with these values, plus {@code moreInsecure} (from the command line). */
        SourceSettings settings(List<String> moreInsecure) {
            List<String> insecure = new java.util.ArrayList<>(insecureRegistries);
            insecure.addAll(moreInsecure);
            SourceSettings d = SourceSettings.defaults(Paths.blobCacheDirectory());
            return d.withInsecureRegistries(insecure).withCaCertificates(caCertificates)
                    .withLimits(d.maxManifestBytes(), maxComponentBytes).withTimeouts(d.connectTimeout(), downloadTimeout);
        }
    }

    static final String DEFAULT_BIND = "127.0.0.1:9001";
    static final List<String> DEFAULT_HOSTS = List.of("localhost", "127.0.0.1", "[::1]");

    static Path defaultFile() {
        return Paths.configDirectory().resolve("config.toml");
    }

    /** Loads {@code file} (absent: defaults) and applies the {@code WASSETTE_*} environment. */
    static Config load(Path file, Map<String, String> env) throws IOException {
        JsonNode toml = Files.isRegularFile(file) ? new TomlMapper().readTree(file.toFile()) : null;
        Path componentDir = Paths.componentDirectory();
        Path secretsDir = Paths.secretsDirectory();
        String bind = DEFAULT_BIND;
        List<String> hosts = DEFAULT_HOSTS;
        Duration timeout = dev.wassette.host.Limits.DEFAULT_CALL_TIMEOUT;
        Map<String, String> environment = new LinkedHashMap<>();
        List<String> insecure = List.of();
        Path caCertificates = null;
        long maxComponent = SourceSettings.DEFAULT_MAX_COMPONENT_BYTES;
        Duration download = SourceSettings.defaults(Paths.blobCacheDirectory()).readTimeout();
        if (toml != null) {
            if (toml.has("insecure_registries")) {
                insecure = new java.util.ArrayList<>();
                for (JsonNode h : toml.get("insecure_registries")) {
                    insecure.add(h.asText());
                }
            }
            if (toml.hasNonNull("ca_certificates")) {
                caCertificates = Path.of(toml.get("ca_certificates").asText());
            }
            if (toml.hasNonNull("max_component_size")) {
                maxComponent = positive("max_component_size", toml.get("max_component_size").asText());
            }
            if (toml.hasNonNull("download_timeout")) {
                download = new DurationConverter().convert(toml.get("download_timeout").asText());
            }
            if (toml.hasNonNull("component_dir")) {
                componentDir = Path.of(toml.get("component_dir").asText());
            }
            if (toml.hasNonNull("secrets_dir")) {
                secretsDir = Path.of(toml.get("secrets_dir").asText());
            }
            if (toml.hasNonNull("bind_address")) {
                bind = toml.get("bind_address").asText();
            }
            if (toml.has("allowed_hosts")) {
                hosts = new java.util.ArrayList<>();
                for (JsonNode h : toml.get("allowed_hosts")) {
                    hosts.add(h.asText());
                }
            }
            if (toml.hasNonNull("call_timeout")) {
                timeout = new DurationConverter().convert(toml.get("call_timeout").asText());
            }
            if (toml.has("environment")) {
                toml.get("environment").fields().forEachRemaining(e -> environment.put(e.getKey(), e.getValue().asText()));
            }
        }
        if (env.containsKey("WASSETTE_COMPONENT_DIR")) {
            componentDir = Path.of(env.get("WASSETTE_COMPONENT_DIR"));
        }
        if (env.containsKey("WASSETTE_SECRETS_DIR")) {
            secretsDir = Path.of(env.get("WASSETTE_SECRETS_DIR"));
        }
        if (env.containsKey("WASSETTE_BIND_ADDRESS")) {
            bind = env.get("WASSETTE_BIND_ADDRESS");
        }
        if (env.containsKey("WASSETTE_ALLOWED_HOSTS")) {
            hosts = Arrays.stream(env.get("WASSETTE_ALLOWED_HOSTS").split(",")).map(String::strip).filter(h -> !h.isEmpty()).toList();
        }
        if (env.containsKey("WASSETTE_CALL_TIMEOUT")) {
            timeout = new DurationConverter().convert(env.get("WASSETTE_CALL_TIMEOUT"));
        }
        if (env.containsKey("WASSETTE_INSECURE_REGISTRIES")) {
            insecure = Arrays.stream(env.get("WASSETTE_INSECURE_REGISTRIES").split(",")).map(String::strip).filter(h -> !h.isEmpty()).toList();
        }
        if (env.containsKey("WASSETTE_CA_CERTIFICATES")) {
            caCertificates = Path.of(env.get("WASSETTE_CA_CERTIFICATES"));
        }
        if (env.containsKey("WASSETTE_MAX_COMPONENT_SIZE")) {
            maxComponent = positive("WASSETTE_MAX_COMPONENT_SIZE", env.get("WASSETTE_MAX_COMPONENT_SIZE"));
        }
        if (env.containsKey("WASSETTE_DOWNLOAD_TIMEOUT")) {
            download = new DurationConverter().convert(env.get("WASSETTE_DOWNLOAD_TIMEOUT"));
        }
        return new Config(componentDir, secretsDir, bind, List.copyOf(hosts), timeout, Map.copyOf(environment),
                new Sources(List.copyOf(insecure), caCertificates, maxComponent, download));
    }

    private static long positive(String key, String value) {
        try {
            long n = Long.parseLong(value.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + " must be a positive number of bytes, not \"" + value + "\"");
    }
}

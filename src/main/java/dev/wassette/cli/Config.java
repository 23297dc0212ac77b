package dev.wassette.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.wassette.host.Paths;
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
 * [environment]                             # offered to components (policy still filters)
 * API_BASE = "https://api.example.com"
 * </pre>
 */
record Config(Path componentDir, Path secretsDir, String bindAddress, List<String> allowedHosts, Duration callTimeout,
              Map<String, String> environment) {

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
        if (toml != null) {
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
        return new Config(componentDir, secretsDir, bind, List.copyOf(hosts), timeout, Map.copyOf(environment));
    }
}

package dev.wassette.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Registry user names and passwords, looked up per registry, first found wins:
 * {@code WASSETTE_REGISTRY_USER}/{@code WASSETTE_REGISTRY_PASSWORD} (for any registry that asks),
 * the containers auth file ({@code $REGISTRY_AUTH_FILE}, {@code $XDG_RUNTIME_DIR/containers/auth.json},
 * {@code ~/.config/containers/auth.json}), then Docker's ({@code $DOCKER_CONFIG/config.json}, else
 * {@code ~/.docker/config.json}). Credential helpers ({@code credsStore}, {@code credHelpers}) would
 * run other programs and are not used; a registry that only has one gets no credentials, with a
 * note in the log.
 */
public final class RegistryCredentials {
    private static final System.Logger LOG = System.getLogger("dev.wassette.source");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> DOCKER_HUB = Set.of("docker.io", "index.docker.io", "registry-1.docker.io");

    /** A user name and password, sent as HTTP Basic credentials (to a registry or its token service). */
    public record Basic(String username, String password) {
        String header() {
            return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return "Basic[" + username + ", password hidden]";
        }
    }

    private final Basic fromEnvironment;
    private final List<Path> authFiles;

    private RegistryCredentials(Basic fromEnvironment, List<Path> authFiles) {
        this.fromEnvironment = fromEnvironment;
        this.authFiles = authFiles;
    }

    /** No credentials: anonymous pulls only. */
    public static RegistryCredentials none() {
        return new RegistryCredentials(null, List.of());
    }

    /** Credentials as the environment {@code env} (a process's or a daemon session's client's) points to them. */
    public static RegistryCredentials fromEnvironment(Map<String, String> env) {
        String user = env.get("WASSETTE_REGISTRY_USER");
        String password = env.get("WASSETTE_REGISTRY_PASSWORD");
        Basic basic = user != null && !user.isEmpty() && password != null ? new Basic(user, password) : null;
        List<Path> files = new ArrayList<>();
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        addAbsolute(files, env.get("REGISTRY_AUTH_FILE"));
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && Path.of(runtime).isAbsolute()) {
            files.add(Path.of(runtime, "containers", "auth.json"));
        }
        String config = env.get("XDG_CONFIG_HOME");
        files.add(config != null && Path.of(config).isAbsolute() ? Path.of(config, "containers", "auth.json")
                : Path.of(home, ".config", "containers", "auth.json"));
        String docker = env.get("DOCKER_CONFIG");
        files.add(docker != null && Path.of(docker).isAbsolute() ? Path.of(docker, "config.json") : Path.of(home, ".docker", "config.json"));
        return new RegistryCredentials(basic, List.copyOf(files));
    }

    private static void addAbsolute(List<Path> files, String value) {
        if (value != null && !value.isBlank() && Path.of(value).isAbsolute()) {
            files.add(Path.of(value));
        }
    }

    /** The credentials for {@code registry} (host or host:port), or null. */
    public Basic forRegistry(String registry) {
        if (fromEnvironment != null) {
            return fromEnvironment;
        }
        String wanted = normalize(registry);
        for (Path file : authFiles) {
            if (!Files.isRegularFile(file)) {
                continue;
            }
            JsonNode root;
            try {
                root = JSON.readTree(file.toFile());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot read registry credentials from {0}: {1}", file, e.getMessage());
                continue;
            }
            var entries = root.path("auths").properties();
            for (var entry : entries) {
                if (!matches(normalize(entry.getKey()), wanted)) {
                    continue;
                }
                Basic b = decode(entry.getValue());
                if (b != null) {
                    return b;
                }
            }
            if (root.path("credHelpers").has(wanted) || root.hasNonNull("credsStore")) {
                LOG.log(System.Logger.Level.INFO, "{0} names a credential helper; helpers are not run here, so {1} gets no credentials "
                        + "from it (set WASSETTE_REGISTRY_USER/WASSETTE_REGISTRY_PASSWORD instead)", file, registry);
            }
        }
        return null;
    }

    private static Basic decode(JsonNode auth) {
        String encoded = auth.path("auth").asText("");
        if (!encoded.isEmpty()) {
            try {
                String pair = new String(Base64.getDecoder().decode(encoded.strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                if (colon > 0) {
                    return new Basic(pair.substring(0, colon), pair.substring(colon + 1));
                }
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "an \"auth\" entry of a registry credentials file is not base64; ignored");
            }
        }
        String user = auth.path("username").asText("");
        String password = auth.path("password").asText("");
        return user.isEmpty() ? null : new Basic(user, password);
    }

    /** A key of an auth file as a registry name: no scheme, no path, lower-case. */
    private static String normalize(String key) {
        String k = key.strip().toLowerCase(Locale.ROOT);
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        return slash >= 0 ? k.substring(0, slash) : k;
    }

    private static boolean matches(String key, String registry) {
        return key.equals(registry) || DOCKER_HUB.contains(key) && DOCKER_HUB.contains(registry);
    }
}

package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    @TempDir
    Path dir;

    @Test
    void fileThenEnvironmentOverrides() throws Exception {
        Path file = Files.writeString(dir.resolve("config.toml"), """
                component_dir = "/srv/components"
                secrets_dir = "/srv/secrets"
                bind_address = "0.0.0.0:9100"
                allowed_hosts = ["wassette.internal"]
                call_timeout = "5s"
                [environment]
                API_BASE = "https://api.example.com"
                """);
        Config fromFile = Config.load(file, Map.of());
        assertEquals(Path.of("/srv/components"), fromFile.componentDir());
        assertEquals("0.0.0.0:9100", fromFile.bindAddress());
        assertEquals(List.of("wassette.internal"), fromFile.allowedHosts());
        assertEquals(Duration.ofSeconds(5), fromFile.callTimeout());
        assertEquals(Map.of("API_BASE", "https://api.example.com"), fromFile.environment());

        Config overridden = Config.load(file, Map.of("WASSETTE_COMPONENT_DIR", "/env/components", "WASSETTE_ALLOWED_HOSTS", "a.local, b.local",
                "WASSETTE_BIND_ADDRESS", "127.0.0.1:7000"));
        assertEquals(Path.of("/env/components"), overridden.componentDir());
        assertEquals(Path.of("/srv/secrets"), overridden.secretsDir());
        assertEquals(List.of("a.local", "b.local"), overridden.allowedHosts());
        assertEquals("127.0.0.1:7000", overridden.bindAddress());

        Config defaults = Config.load(dir.resolve("absent.toml"), Map.of());
        assertEquals(Config.DEFAULT_BIND, defaults.bindAddress());
        assertEquals(Config.DEFAULT_HOSTS, defaults.allowedHosts());
        assertEquals(List.of(), defaults.sources().insecureRegistries());
    }

    @Test
    void sourceSettings() throws Exception {
        Path file = Files.writeString(dir.resolve("config.toml"), """
                insecure_registries = ["registry.internal:5000"]
                ca_certificates = "/etc/wassette/ca.pem"
                max_component_size = 1048576
                download_timeout = "5s"
                """);
        Config fromFile = Config.load(file, Map.of());
        var settings = fromFile.sources().settings(List.of("mirror.lan"));
        assertEquals(List.of("registry.internal:5000", "mirror.lan"), settings.insecureRegistries());
        assertEquals(Path.of("/etc/wassette/ca.pem"), settings.caCertificates());
        assertEquals(1048576, settings.maxComponentBytes());
        assertEquals(Duration.ofSeconds(5), settings.readTimeout());
        Config env = Config.load(file, Map.of("WASSETTE_INSECURE_REGISTRIES", "a:1, b", "WASSETTE_MAX_COMPONENT_SIZE", "2048",
                "WASSETTE_CA_CERTIFICATES", "/other.pem", "WASSETTE_DOWNLOAD_TIMEOUT", "1m"));
        assertEquals(List.of("a:1", "b"), env.sources().insecureRegistries());
        assertEquals(2048, env.sources().maxComponentBytes());
        assertEquals(Path.of("/other.pem"), env.sources().caCertificates());
        assertEquals(Duration.ofMinutes(1), env.sources().downloadTimeout());
        var bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Config.load(file, Map.of("WASSETTE_MAX_COMPONENT_SIZE", "lots")));
        assertEquals("WASSETTE_MAX_COMPONENT_SIZE must be a positive number of bytes, not \"lots\"", bad.getMessage());
    }
}

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
    }
}

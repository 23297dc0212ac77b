package dev.wassette.cli;

import dev.wassette.Fixtures;
import dev.wassette.RegistryTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code wassette} command as a process of its own, for a user whose home, data, config and
 * cache directories are under {@code home}, where a component ({@code types.wasm}), a wasm image
 * config ({@code config.json}) and a policy granting {@code API_KEY} ({@code policy.yaml}) are ready
 * to be pushed or loaded: what the source and signature CLI tests share.
 */
final class IsolatedCli {
    private final Path home;
    private final Map<String, String> env;

    IsolatedCli(Path home) throws IOException {
        this.home = home;
        this.env = Map.of("XDG_DATA_HOME", home.resolve("data").toString(), "XDG_CONFIG_HOME", home.resolve("config").toString(),
                "XDG_CACHE_HOME", home.resolve("cache").toString(), "HOME", home.toString());
        Files.copy(Fixtures.path("types.wasm"), home.resolve("types.wasm"));
        Files.writeString(home.resolve("config.json"), "{\"architecture\":\"wasm\",\"os\":\"wasip2\"}");
        Files.writeString(home.resolve("policy.yaml"), "version: \"1.0\"\npermissions:\n  environment:\n    allow: [{key: API_KEY}]\n");
    }

    /** Runs {@code wassette ARGS} in {@code home}, bounded to two minutes. */
    RegistryTools.Result run(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.wassette.cli.WassetteCli"));
        cmd.addAll(List.of(args));
        return RegistryTools.run(cmd, home, env, Duration.ofMinutes(2));
    }
}

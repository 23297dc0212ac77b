package dev.wassette.cli;

import dev.wassette.host.ComponentStore;
import dev.wassette.host.Paths;
import dev.wassette.host.SecretStore;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where components, their policies and secrets live (defaults: the XDG directories). */
final class StoreOptions {
    @Option(names = "--component-dir", paramLabel = "DIR", description = "Component store (default: $XDG_DATA_HOME/wassette/components).")
    Path componentDir;

    @Option(names = "--secrets-dir", paramLabel = "DIR", description = "Secrets (default: $XDG_CONFIG_HOME/wassette/secrets).")
    Path secretsDir;

    Path componentDirectory() {
        return componentDir != null ? componentDir : Paths.componentDirectory();
    }

    Path secretsDirectory() {
        return secretsDir != null ? secretsDir : Paths.secretsDirectory();
    }

    ComponentStore components() {
        return new ComponentStore(componentDirectory());
    }

    SecretStore secrets() {
        return new SecretStore(secretsDirectory());
    }
}

package dev.wassette.cli;

import dev.wassette.host.ClientEnvironment;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.EnvFiles;
import dev.wassette.host.Limits;
import dev.wassette.host.Provisioner;
import dev.wassette.host.ProvisioningManifest;
import dev.wassette.mcp.WassetteMcpServer;
import dev.wassette.source.SourceSettings;
import dev.wassette.source.TrustPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options shared by the server commands; each overrides the config file and WASSETTE_* variables. */
final class ServerOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: $XDG_CONFIG_HOME/wassette/config.toml).")
    Path configFile;

    @Option(names = "--component-dir", paramLabel = "DIR", description = "Component store (default: $XDG_DATA_HOME/wassette/components).")
    Path componentDir;

    @Option(names = "--secrets-dir", paramLabel = "DIR", description = "Secrets (default: $XDG_CONFIG_HOME/wassette/secrets).")
    Path secretsDir;

    @Option(names = "--disable-builtin-tools", description = "Serve only component tools; the management tools are hidden and refused.")
    boolean disableBuiltinTools;

    @Option(names = "--manifest", paramLabel = "FILE", description = {"Provisioning manifest: components loaded at start-up (digests enforced) with their permissions.",
        "With --disable-builtin-tools the server serves exactly these, and its tools cannot change."})
    Path manifest;

    @Option(names = "--continue-on-provisioning-failure", description = "A manifest entry that fails is a warning; the server starts with the others.")
    boolean continueOnProvisioningFailure;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "Environment value offered to components (policies still filter).")
    Map<String, String> env = new HashMap<>();

    @Option(names = "--env-file", paramLabel = "FILE", description = "KEY=VALUE lines offered to components.")
    Path envFile;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Wall-clock limit of each tool call (default " + Limits.DEFAULT_CALL_TIMEOUT_SECONDS + "s).")
    Duration timeout;

    @Option(names = "--max-result-size", paramLabel = "BYTES", defaultValue = "" + Limits.DEFAULT_MAX_RESULT_BYTES, description = "Largest tool result accepted (default: ${DEFAULT-VALUE}).")
    long maxResultBytes;

    @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]",
            description = "Registry that load-component may reach over plain HTTP (repeatable; besides loopback and the config's insecure_registries).")
    List<String> insecureRegistries = new java.util.ArrayList<>();

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = {"Export spans and metrics of tool calls over OTLP/HTTP to this collector (its base URL, e.g.",
                "http://localhost:4318; default: $OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT)."})
    String otlpEndpoint;

    /** What the server records for an operator: OTLP as configured for {@code client}, and Prometheus text if {@code prometheus}. */
    dev.wassette.mcp.WassetteMcpServer.Telemetry telemetry(boolean prometheus, ClientEnvironment client) {
        return dev.wassette.mcp.WassetteMcpServer.Telemetry.of(prometheus, otlpEndpoint, client.variables());
    }

    @Option(names = "--trust-policy", paramLabel = "FILE",
            description = "Trust policy (TOML: [keys], [[rules]]) deciding which OCI artifacts must be signed by which keys; replaces the config's [trust].")
    Path trustPolicy;

    /**
     * How load-component fetches components: the config's source settings plus the options.
     *
     * @throws TrustPolicy.InvalidTrustPolicyException when the trust policy is invalid
     */
    SourceSettings sources(Config config, ClientEnvironment client) {
        return config.sources().settings(insecureRegistries, trustPolicy == null ? null : TrustPolicy.read(client.resolve(trustPolicy)));
    }

    /**
     * The files the configuration is read from, as a session in {@code client} resolves them: the
     * config file, and the env file and manifest if given (each may not exist).
     */
    List<Path> configurationFiles(ClientEnvironment client) {
        List<Path> files = new java.util.ArrayList<>();
        files.add(configFile != null ? client.resolve(configFile) : Config.defaultFile());
        if (envFile != null) {
            files.add(client.resolve(envFile));
        }
        if (manifest != null) {
            files.add(client.resolve(manifest));
        }
        return files;
    }

    /**
     * Whether a path of this configuration is relative, so that it resolves against the client's
     * working directory (the config file's {@code component_dir} and {@code secrets_dir} included):
     * then the early answers of {@code run} are kept per working directory (EarlyResponder).
     */
    boolean resolvesAgainstWorkingDirectory(Config config) {
        Path store = componentDir != null ? componentDir : config.componentDir();
        Path secrets = secretsDir != null ? secretsDir : config.secretsDir();
        return java.util.stream.Stream.of(configFile, store, secrets, envFile, manifest, trustPolicy).anyMatch(p -> p != null && !p.isAbsolute());
    }

    /** The provisioning manifest, read and validated; null without {@code --manifest}. */
    ProvisioningManifest manifest(ClientEnvironment client) throws ProvisioningManifest.ManifestException, IOException {
        if (manifest == null) {
            return null;
        }
        Path file = client.resolve(manifest);
        try {
            return ProvisioningManifest.read(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("no such manifest: " + file);
        }
    }

    /** What a server command found for {@code --manifest}: the manifest (null without one), or that it could not be read. */
    record ManifestRead(ProvisioningManifest manifest, boolean unreadable) {}

    /**
     * The manifest for a server command that starts now; when it cannot be read, says why on
     * {@code err} (the command then exits with {@link WassetteCli#BAD_INPUT}).
     */
    ManifestRead readManifest(ClientEnvironment client, java.io.PrintWriter err) {
        try {
            return new ManifestRead(manifest(client), false);
        } catch (ProvisioningManifest.ManifestException e) {
            reportProvisioningFailure(err, e.problems(), false);
        } catch (IOException e) {
            reportProvisioningFailure(err, List.of(e.getMessage()), false);
        }
        return new ManifestRead(null, true);
    }

    /** A provisioned, read-only server: it serves exactly the manifest's components and does not follow the store. */
    boolean pinned() {
        return manifest != null && disableBuiltinTools;
    }

    /**
     * Provisions a server command's host from {@code manifest} (nothing without one), with its
     * warnings on {@code err}; false when an entry failed, after saying which on {@code err} (the
     * command then exits with {@link WassetteCli#BAD_INPUT}).
     */
    boolean provisionOrReport(ComponentHost host, ProvisioningManifest manifest, java.io.PrintWriter err) {
        try {
            provision(host, manifest).forEach(w -> err.println("warning: " + w));
            err.flush();
            return true;
        } catch (Provisioner.ProvisioningException e) {
            reportProvisioningFailure(err, e.problems(), true);
            return false;
        }
    }

    /**
     * Loads the manifest's components into {@code host} (nothing without a manifest); returns the
     * warnings to show.
     *
     * @throws Provisioner.ProvisioningException naming each failed entry (unless --continue-on-provisioning-failure)
     */
    List<String> provision(ComponentHost host, ProvisioningManifest provisioning) throws Provisioner.ProvisioningException {
        if (provisioning == null) {
            return List.of();
        }
        return Provisioner.provision(host, provisioning, continueOnProvisioningFailure, WassetteMcpServer.distinctToolNames()).warnings();
    }

    /** The errors of a manifest or of its provisioning, on stderr, with what to do about them. */
    void reportProvisioningFailure(java.io.PrintWriter err, List<String> problems, boolean entriesFailed) {
        problems.forEach(p -> err.println("error: " + p));
        err.println("error: the server did not start: the provisioning manifest " + manifest
                + (entriesFailed ? " has entries that cannot be loaded (--continue-on-provisioning-failure starts without them)" : " is invalid"));
        err.flush();
    }

    /** The config file and {@code WASSETTE_*} variables as {@code client} sees them (relative paths are its). */
    Config config(ClientEnvironment client) throws IOException {
        return Config.load(configFile != null ? client.resolve(configFile) : Config.defaultFile(), client.variables());
    }

    /** The component store of a server whose client is {@code client}. */
    Path storeDirectory(Config config, ClientEnvironment client) {
        return client.resolve(componentDir != null ? componentDir : config.componentDir());
    }

    /**
     * Whether the server serves the built-in tools and the stored components' and nothing else: no
     * manifest provisions components, and the built-in tools are not disabled.
     */
    boolean servesBuiltinAndStoredToolsOnly() {
        return !disableBuiltinTools && manifest == null;
    }

    /** Host settings for a server whose client is {@code client}: its variables, its working directory. */
    ComponentHost.Settings settings(Config config, ClientEnvironment client) throws IOException {
        return ComponentHost.Settings.builder()
                .componentDir(storeDirectory(config, client))
                .secretsDir(client.resolve(secretsDir != null ? secretsDir : config.secretsDir()))
                .baseDir(client.workingDirectory())
                .processEnv(client.variables())
                .configEnv(config.environment())
                .envFile(envFile != null ? EnvFiles.read(client.resolve(envFile)) : Map.of())
                .explicitEnv(env)
                .limits(new Limits(timeout != null ? timeout : config.callTimeout(), maxResultBytes))
                .build();
    }
}

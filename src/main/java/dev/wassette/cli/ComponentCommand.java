package dev.wassette.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.ComponentOrigin;
import dev.wassette.host.ComponentSources;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.WasmtimeException;
import dev.wassette.source.ComponentFetcher;
import dev.wassette.source.ComponentSource;
import dev.wassette.source.RegistryCredentials;
import dev.wassette.source.SignatureVerifier;
import dev.wassette.source.SourceException;
import dev.wassette.source.SourceSettings;
import dev.wassette.tools.ToolSchemas;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Manages the component store; a running server on the same store follows the changes (grants: from the next call). */
@Command(name = "component", description = "Loads, unloads and lists components in the component store.",
        subcommands = {ComponentCommand.Load.class, ComponentCommand.Unload.class, ComponentCommand.ListComponents.class,
            ComponentCommand.Verify.class})
final class ComponentCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    static ComponentHost host(Engine engine, StoreOptions store) {
        return new ComponentHost(engine, ComponentHost.Settings.builder()
                .componentDir(store.componentDirectory()).secretsDir(store.secretsDirectory()).build());
    }

    @Command(name = "load", description = {"Fetches a component (a file, binary or text; https://…; oci://REGISTRY/REPO:TAG or @sha256:…),",
        "compiles it into the store and records its source and digest; its id is the file or repository name without extension."})
    static final class Load implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @Mixin
        SourceOptions sources;

        @Parameters(index = "0", paramLabel = "SOURCE")
        String file;

        @Option(names = "--id", description = "Id to store it under (default: from the file or repository name).")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            ComponentSources.Fetched fetched;
            SourceSettings settings;
            try {
                settings = sources.settings();
                fetched = sources.fetchWithDeclaration(file, settings, err);
            } catch (ComponentSources.SourceException | IllegalArgumentException e) {
                err.println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            String componentId = id != null ? id : fetched.suggestedId();
            ComponentHost.Settings d = ComponentHost.Settings.defaults().withDirectories(store.componentDirectory(), store.secretsDirectory());
            try (Engine engine = Engines.create(); ComponentHost host = new ComponentHost(engine, d, settings)) {
                ComponentHost.Loaded prepared = host.prepare(componentId, fetched.bytes());
                var declared = host.install(prepared, fetched);
                PrintWriter out = spec.commandLine().getOut();
                out.println("loaded " + componentId + " into " + host.store().directory());
                host.component(componentId).functions().forEach(f -> out.println("  " + ToolSchemas.toolName(f) + "  " + f.wit()));
                if (declared.isPresent()) {
                    Declarations.print(out, componentId, declared.get(), host.store().policy(componentId), Path.of("").toAbsolutePath());
                }
                out.flush();
                return WassetteCli.OK;
            } catch (WasmtimeException | IllegalArgumentException e) {
                err.println("error: " + fetched.source() + ": " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            } catch (PolicyException e) {
                e.problems().forEach(p -> err.println("error: " + p));
                return WassetteCli.BAD_INPUT;
            }
        }
    }

    @Command(name = "verify", description = {"Checks the cosign signatures of an OCI artifact against the trust policy, offline (no transparency log),",
        "without pulling or loading it: prints who signed which digest, in which form.",
        "Exit status: 0 when a signature by a trusted key names the digest, 1 when none does, 3 when the artifact or trust policy cannot be read."})
    static final class Verify implements Callable<Integer> {
        @Mixin
        SourceOptions sources;

        @Parameters(index = "0", paramLabel = "oci://REGISTRY/REPO:TAG|@sha256:HEX")
        String reference;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            SignatureVerifier.Result r;
            try {
                if (!(sources.source(reference) instanceof ComponentSource.Oci oci)) {
                    err.println("error: " + reference + " is not an oci:// reference; only OCI artifacts carry cosign signatures");
                    return WassetteCli.BAD_INPUT;
                }
                r = new ComponentFetcher(sources.settings()).verifyReference(oci, RegistryCredentials.fromEnvironment(System.getenv()));
            } catch (SourceException | IllegalArgumentException e) {
                err.println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            out.println(r.reference());
            out.println("  digest: " + r.digest());
            out.println("  trust policy: " + (r.rule() == null ? "no rule for " + r.reference().registry() + "/" + r.reference().repository()
                    : r.rule().describe()));
            for (SignatureVerifier.Found f : r.signatures()) {
                out.println("  " + (f.verified() ? "valid:   " : "invalid: ") + f.describe());
            }
            if (r.lookupProblem() != null) {
                out.println("  lookup failed: " + r.lookupProblem());
            }
            SignatureVerifier.Found signed = r.verified();
            if (signed != null) {
                out.println("verified: " + r.digest() + " signed by " + signed.signer().name() + " (" + signed.signer().kind() + ", "
                        + signed.signer().fingerprint() + "), " + signed.form().label());
            } else if (r.rule() == null || r.rule().keys().isEmpty()) {
                out.println("not verified: the trust policy names no key for " + r.reference().registry() + "/" + r.reference().repository()
                        + " (--trust-policy FILE, or [trust] in config.toml)");
            } else {
                out.println("not verified: " + r.whyNot() + (r.required() ? " (a signature is required: loading it is refused)" : ""));
            }
            out.flush();
            return signed != null ? WassetteCli.OK : WassetteCli.GUEST_FAILED;
        }
    }

    @Command(name = "unload", description = "Removes a component, its policy and its precompiled code from the store.")
    static final class Unload implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            try {
                if (!store.components().remove(id)) {
                    spec.commandLine().getErr().println("error: no component \"" + id + "\" in " + store.componentDirectory());
                    return WassetteCli.BAD_INPUT;
                }
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            spec.commandLine().getOut().println("unloaded " + id);
            spec.commandLine().getOut().flush();
            return WassetteCli.OK;
        }
    }

    @Command(name = "list", description = "Lists stored components with their tools, source and digest.")
    static final class ListComponents extends StoredListing {
        @Override
        void rows(ComponentHost host, ComponentHost.Loaded l, ArrayNode rows) {
            ObjectNode row = rows.addObject();
            row.put("id", l.id());
            row.put("tools", l.functions().size());
            ArrayNode names = row.putArray("tool_names");
            l.functions().forEach(f -> names.add(ToolSchemas.toolName(f)));
            ComponentOrigin origin;
            try {
                origin = host.store().origin(l.id());
            } catch (IOException e) {
                origin = null;
            }
            row.put("source", origin != null ? origin.source() : "(not recorded)");
            row.put("digest", origin != null ? origin.digest() : "");
            if (origin != null) {
                row.put("resolved", origin.resolved());
                row.put("component_digest", origin.componentDigest());
                row.put("signed_by", origin.signedBy());
            }
            row.put("declared_policy", java.nio.file.Files.isRegularFile(host.store().declaredPolicyFile(l.id())));
            row.put("path", host.store().componentFile(l.id()).toString());
        }

        @Override
        List<String> columns() {
            return List.of("id", "tools", "source", "digest");
        }
    }
}

package dev.wassette.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ComponentHost;
import dev.wassette.host.ComponentSources;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.WasmtimeException;
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
        subcommands = {ComponentCommand.Load.class, ComponentCommand.Unload.class, ComponentCommand.ListComponents.class})
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

    @Command(name = "load", description = "Compiles a component file (binary or text) into the store; its id is the file name without extension.")
    static final class Load implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @Parameters(index = "0", paramLabel = "FILE")
        String file;

        @Option(names = "--id", description = "Id to store it under (default: from the file name).")
        String id;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            ComponentSources.Fetched fetched;
            try {
                fetched = ComponentSources.fetch(file, Path.of("").toAbsolutePath(), null);
            } catch (ComponentSources.SourceException e) {
                err.println("error: " + e.getMessage());
                return WassetteCli.BAD_INPUT;
            }
            String componentId = id != null ? id : fetched.suggestedId();
            try (Engine engine = Engines.create(); ComponentHost host = host(engine, store)) {
                ComponentHost.Loaded prepared = host.prepare(componentId, fetched.bytes());
                var declared = host.install(prepared, fetched);
                PrintWriter out = spec.commandLine().getOut();
                out.println("loaded " + componentId + " into " + host.store().directory());
                prepared.functions().forEach(f -> out.println("  " + ToolSchemas.toolName(f) + "  " + f.wit()));
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

    @Command(name = "list", description = "Lists stored components with their tools.")
    static final class ListComponents extends StoredListing {
        @Override
        void rows(ComponentHost host, ComponentHost.Loaded l, ArrayNode rows) {
            ObjectNode row = rows.addObject();
            row.put("id", l.id());
            row.put("tools", l.functions().size());
            ArrayNode names = row.putArray("tool_names");
            l.functions().forEach(f -> names.add(ToolSchemas.toolName(f)));
            row.put("path", host.store().componentFile(l.id()).toString());
        }

        @Override
        List<String> columns() {
            return List.of("id", "tools", "path");
        }
    }
}

package dev.wassette.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wassette.host.ComponentHost;
import dev.wassette.policy.PolicyException;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.Engine;
import dev.wassette.tools.JsonValues;
import dev.wassette.tools.ToolSchemas;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The tools stored components provide, listed and invoked in-process (no server needed). */
@Command(name = "tool", description = "Lists and invokes the tools of stored components.",
        subcommands = {ToolCommand.ListTools.class, ToolCommand.Invoke.class})
final class ToolCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
    }

    @Command(name = "list", description = "Lists tools: name, component and WIT signature (json/yaml add the schemas).")
    static final class ListTools extends StoredListing {
        @Override
        void rows(ComponentHost host, ComponentHost.Loaded l, ArrayNode rows) {
            l.functions().forEach(f -> {
                ObjectNode row = rows.addObject();
                row.put("name", ToolSchemas.toolName(f));
                row.put("component", l.id());
                row.put("signature", f.wit());
                row.set("inputSchema", ToolSchemas.inputSchema(f.type()));
                JsonNode output = ToolSchemas.outputSchema(f.type());
                if (output != null) {
                    row.set("outputSchema", output);
                }
            });
        }

        @Override
        List<String> columns() {
            return List.of("name", "component", "signature");
        }
    }

    @Command(name = "invoke", description = "Invokes a tool under its component's stored policy; prints the result as JSON.")
    static final class Invoke implements Callable<Integer> {
        @Mixin
        StoreOptions store;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--args", paramLabel = "JSON", defaultValue = "{}")
        String args;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            JsonNode argNode;
            try {
                argNode = JSON.readTree(args);
            } catch (JsonProcessingException e) {
                err.println("error: --args is not valid JSON: " + e.getOriginalMessage());
                return WassetteCli.BAD_INPUT;
            }
            try (Engine engine = Engines.create(); ComponentHost host = ComponentCommand.host(engine, store)) {
                host.loadAll();
                for (ComponentHost.Loaded l : host.components()) {
                    for (ExportedFunction f : l.functions()) {
                        if (ToolSchemas.toolName(f).equals(name)) {
                            Val result = host.call(l.id(), f, JsonValues.arguments(argNode, f.type()));
                            if (result != null) {
                                spec.commandLine().getOut().println(JSON.writeValueAsString(JsonValues.toJson(result)));
                                spec.commandLine().getOut().flush();
                            }
                            return WassetteCli.OK;
                        }
                    }
                }
                err.println("error: no tool named \"" + name + "\" (see `wassette tool list`)");
                return WassetteCli.BAD_INPUT;
            } catch (PolicyException | RuntimeException e) {
                return Failures.report(err, e, name);
            }
        }
    }
}

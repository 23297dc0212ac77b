package dev.wassette.cli;

import dev.wassette.host.ComponentSandbox;
import dev.wassette.host.ComponentSources;
import dev.wassette.host.ComponentStore;
import dev.wassette.policy.PolicyException;
import dev.wassette.host.HostLog;
import dev.wassette.host.ProvidedImports;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.ComponentImport;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.WasmtimeException;
import dev.wassette.tools.ToolSchemas;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", description = {"Lists a component's exported functions (WIT signature, tool name, input and output JSON Schema),",
    "the permissions it declares (not granted unless applied), and its imports, each provided, provided but policy-gated, or missing.",
    "Takes a component file (binary or text) or the id of a stored component."})
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE|ID", description = "Component file (.wasm/.wat) or stored component id.")
    Path file;

    @picocli.CommandLine.Mixin
    StoreOptions store;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String storedId = null;
        if (!Files.isRegularFile(file)) {
            String id = file.toString();
            boolean stored;
            try {
                stored = store.components().contains(id);
            } catch (IllegalArgumentException e) {
                stored = false;
            }
            if (!stored) {
                err.println("error: no such file or stored component: " + file);
                return WassetteCli.BAD_INPUT;
            }
            file = store.components().componentFile(id);
            storedId = id;
        }
        try (Engine engine = Engines.create(); Component component = engine.compile(file)) {
            String current = null;
            boolean first = true;
            for (ExportedFunction f : component.exports()) {
                if (first || !Objects.equals(current, f.interfaceName())) {
                    current = f.interfaceName();
                    out.println(current == null ? "world exports:" : "interface " + current + ":");
                    first = false;
                }
                out.println("  " + f.wit());
                out.println("    tool:   " + ToolSchemas.toolName(f));
                String unsupported = ToolSchemas.unsupportedInput(f.type());
                if (unsupported != null) {
                    out.println("    (not served as a tool: " + unsupported + ")");
                    continue;
                }
                out.println("    input:  " + ToolSchemas.inputSchema(f.type()));
                var output = ToolSchemas.outputSchema(f.type());
                if (output != null) {
                    out.println("    output: " + output);
                }
            }
            if (component.exports().isEmpty()) {
                out.println("(no exported functions)");
            }
            printDeclaration(out, storedId);
            printImports(out, engine, component);
            out.flush();
            return WassetteCli.OK;
        } catch (WasmtimeException | IOException e) {
            err.println("error: " + file + ": " + e.getMessage());
            return WassetteCli.BAD_INPUT;
        }
    }

    /**
     * The permissions the component declares: a stored component's declaration, or for a file the
     * policy beside it ({@code <name>.policy.yaml}) that loading it would store as its declaration.
     */
    private void printDeclaration(PrintWriter out, String storedId) throws IOException {
        Path baseDir = Path.of("").toAbsolutePath();
        try {
            if (storedId != null) {
                var declared = store.components().declaredPolicy(storedId);
                if (declared.isPresent()) {
                    Declarations.print(out, storedId, declared.get(), store.components().policy(storedId), baseDir);
                    return;
                }
            } else {
                Path beside = ComponentSources.declarationBeside(file.toAbsolutePath());
                if (Files.isRegularFile(beside)) {
                    Declarations.print(out, null, ComponentStore.DeclaredPolicy.of(Files.readString(beside), beside.toString()), null, baseDir);
                    return;
                }
            }
            out.println("declared permissions: none");
        } catch (PolicyException e) {
            out.println("declared permissions: invalid, so loading refuses the component:");
            e.problems().forEach(p -> out.println("  " + p));
        }
    }

    /** Each import with what the server does with it, then whether the component links at all. */
    private static void printImports(PrintWriter out, Engine engine, Component component) {
        List<ProvidedImports.Checked> imports = ProvidedImports.check(component);
        out.println(imports.isEmpty() ? "imports: none" : "imports:");
        int width = imports.stream().mapToInt(c -> label(c).length()).max().orElse(0);
        for (ProvidedImports.Checked c : imports) {
            out.println("  " + String.format("%-" + width + "s", label(c)) + "  " + c.describe());
        }
        // Linking is the final word: it also finds type mismatches inside provided interfaces.
        try (ComponentSandbox ignored = new ComponentSandbox(engine, component, new HostLog(Map.of()))) {
            out.println("loadable: yes");
        } catch (WasmtimeException e) {
            out.println("loadable: no: " + e.getMessage());
        }
    }

    private static String label(ProvidedImports.Checked c) {
        return c.component().kind() == ComponentImport.Kind.INSTANCE
                ? c.name() : c.name() + " (" + c.component().kind().label() + ")";
    }
}

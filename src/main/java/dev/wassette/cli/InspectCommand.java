package dev.wassette.cli;

import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.WasmtimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", description = "Lists a component's exported functions with their WIT signatures.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "Component: binary (.wasm) or text (.wat).")
    Path file;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(file)) {
            err.println("error: no such file: " + file);
            return WassetteCli.BAD_INPUT;
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
            }
            if (component.exports().isEmpty()) {
                out.println("(no exported functions)");
            }
            out.flush();
            return WassetteCli.OK;
        } catch (WasmtimeException | IOException e) {
            err.println("error: " + file + ": " + e.getMessage());
            return WassetteCli.BAD_INPUT;
        }
    }
}

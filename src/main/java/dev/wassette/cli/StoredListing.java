package dev.wassette.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.wassette.host.ComponentHost;
import dev.wassette.runtime.Engine;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A listing over the stored components (loaded in-process), printed as json, yaml or a table. */
abstract class StoredListing implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    StoreOptions store;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "json, yaml or table (default: ${DEFAULT-VALUE}).")
    Output.Format format;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Adds the rows for one loaded component. */
    abstract void rows(ComponentHost host, ComponentHost.Loaded component, ArrayNode rows);

    /** The table's columns. */
    abstract List<String> columns();

    @Override
    public Integer call() throws IOException {
        ArrayNode rows = JSON.createArrayNode();
        try (Engine engine = Engines.create(); ComponentHost host = ComponentCommand.host(engine, store)) {
            host.loadAll().forEach((id, error) -> spec.commandLine().getErr().println("warning: " + id + ": " + error));
            host.components().stream().sorted(Comparator.comparing(ComponentHost.Loaded::id)).forEach(l -> rows(host, l, rows));
        }
        Output.print(spec.commandLine().getOut(), format, rows, columns());
        return WassetteCli.OK;
    }
}

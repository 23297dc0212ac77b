package dev.wassette.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

/** Prints command results as JSON, YAML or a table ({@code -o json|yaml|table}). */
final class Output {
    enum Format { json, yaml, table }

    private static final ObjectMapper JSON = new ObjectMapper();

    private Output() {}

    /** {@code rows}: an array of flat objects; {@code columns}: which fields, in order, for the table. */
    static void print(PrintWriter out, Format format, JsonNode rows, List<String> columns) throws JsonProcessingException {
        switch (format) {
            case json -> out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
            case yaml -> out.print(new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build())
                    .dumpToString(JSON.convertValue(rows, Object.class)));
            case table -> table(out, rows, columns);
        }
        out.flush();
    }

    private static void table(PrintWriter out, JsonNode rows, List<String> columns) {
        List<String[]> lines = new ArrayList<>();
        lines.add(columns.stream().map(String::toUpperCase).toArray(String[]::new));
        for (JsonNode row : rows) {
            lines.add(columns.stream().map(c -> {
                JsonNode v = row.get(c);
                return v == null || v.isNull() ? "" : v.isValueNode() ? v.asText() : v.toString();
            }).toArray(String[]::new));
        }
        int[] widths = new int[columns.size()];
        for (String[] line : lines) {
            for (int i = 0; i < line.length; i++) {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        for (String[] line : lines) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                sb.append(i == line.length - 1 ? line[i] : String.format("%-" + (widths[i] + 2) + "s", line[i]));
            }
            out.println(sb.toString().stripTrailing());
        }
    }
}

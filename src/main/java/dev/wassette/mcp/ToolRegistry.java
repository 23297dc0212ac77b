package dev.wassette.mcp;

import dev.wassette.runtime.ExportedFunction;
import dev.wassette.tools.ToolNameConflictException;
import dev.wassette.tools.ToolSchemas;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which tool name belongs to which component function. Tool names are global: two components
 * exposing the same name is an error when the second loads.
 */
final class ToolRegistry {
    record Entry(String toolName, String componentId, ExportedFunction function) {}

    private final Map<String, Entry> byName = new TreeMap<>();

    /**
     * The tools a component would register.
     *
     * @throws ToolNameConflictException when one clashes with another component's, or two of its own share a name
     */
    synchronized List<Entry> plan(String componentId, List<ExportedFunction> functions, List<String> skipped) {
        List<Entry> out = new ArrayList<>();
        Map<String, Entry> mine = new TreeMap<>();
        for (ExportedFunction f : functions) {
            String name = ToolSchemas.toolName(f);
            String unsupported = ToolSchemas.unsupportedInput(f.type());
            if (unsupported != null) {
                skipped.add(f.qualifiedName() + ": " + unsupported);
                continue;
            }
            if (!ToolSchemas.validToolName(name)) {
                skipped.add(f.qualifiedName() + ": tool name \"" + name + "\" is not a valid MCP tool name");
                continue;
            }
            Entry existing = byName.get(name);
            if (existing != null && !existing.componentId().equals(componentId)) {
                throw new ToolNameConflictException(name, "tool name \"" + name + "\" of component " + componentId + " (" + f.qualifiedName()
                        + ") is already provided by component " + existing.componentId() + " (" + existing.function().qualifiedName() + ")");
            }
            if (mine.containsKey(name)) {
                throw new ToolNameConflictException(name, "component " + componentId + " exports two functions with the tool name \"" + name
                        + "\": " + mine.get(name).function().qualifiedName() + " and " + f.qualifiedName());
            }
            Entry e = new Entry(name, componentId, f);
            mine.put(name, e);
            out.add(e);
        }
        return out;
    }

    synchronized void put(List<Entry> entries) {
        entries.forEach(e -> byName.put(e.toolName(), e));
    }

    /** Removes and returns the tool names of a component. */
    synchronized List<String> removeComponent(String componentId) {
        List<String> names = byName.values().stream().filter(e -> e.componentId().equals(componentId)).map(Entry::toolName).toList();
        names.forEach(byName::remove);
        return names;
    }

    synchronized Entry get(String toolName) {
        return byName.get(toolName);
    }

    synchronized List<Entry> all() {
        return List.copyOf(byName.values());
    }

    synchronized List<Entry> ofComponent(String componentId) {
        return byName.values().stream().filter(e -> e.componentId().equals(componentId)).toList();
    }
}

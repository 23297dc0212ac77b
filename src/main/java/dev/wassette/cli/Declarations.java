package dev.wassette.cli;

import dev.wassette.host.ComponentStore;
import dev.wassette.host.PolicyMapping;
import dev.wassette.policy.Policy;
import dev.wassette.policy.PolicyWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How the CLI shows a component's declared permissions: what they grant, their digest, whether they are in force. */
final class Declarations {
    private Declarations() {}

    /**
     * Prints a declaration: a heading that says whether it is granted and how to grant it, the
     * policy it would be (policy-mcp form), and its rules that would not be in force.
     *
     * @param id      the stored component's id, or null for a file not in the store
     * @param granted the component's policy now, or null for a file not in the store
     */
    static void print(PrintWriter out, String id, ComponentStore.DeclaredPolicy declared, Policy granted, Path baseDir) {
        String heading;
        if (granted != null && declared.policy().grantsSameAs(granted)) {
            heading = "declared permissions (" + declared.digest() + "), granted:";
        } else if (id != null) {
            heading = "declared permissions (" + declared.digest() + "), not granted; to grant exactly these: wassette permission apply-declared "
                    + id + " --digest " + declared.digest();
        } else {
            heading = "declared permissions (" + declared.digest() + "), not granted; after loading, wassette permission apply-declared ID grants them";
        }
        out.println(heading);
        PolicyWriter.toYaml(declared.policy()).lines().forEach(l -> out.println("  " + l));
        List<String> notes = new ArrayList<>(PolicyMapping.unenforceable(declared.policy(), baseDir));
        notes.addAll(PolicyMapping.absentDirectories(declared.policy(), baseDir));
        notes.addAll(declared.policy().warnings());
        notes.forEach(n -> out.println("  note: " + n));
    }
}

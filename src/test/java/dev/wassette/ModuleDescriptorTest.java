package dev.wassette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The jar is the module dev.wassette, exporting the API packages and nothing else (not the generated bindings). */
class ModuleDescriptorTest {
    @Test
    void onlyTheApiPackagesAreExported() throws Exception {
        Path classes = Path.of(WassetteRuntime.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleReference module = ModuleFinder.of(classes).find("dev.wassette").orElseThrow();
        ModuleDescriptor descriptor = module.descriptor();
        assertEquals(Set.of("dev.wassette", "dev.wassette.policy", "dev.wassette.runtime", "dev.wassette.tools"),
                descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new)));
        assertTrue(descriptor.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified), "exported to everyone alike");
        assertTrue(descriptor.packages().contains("dev.wassette.ffi"), "the bindings are in the module, not exported");
        assertEquals(Set.of("dev.wassette.cli"), descriptor.opens().stream().map(ModuleDescriptor.Opens::source).collect(Collectors.toSet()));
    }
}

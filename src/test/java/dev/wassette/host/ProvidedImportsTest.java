package dev.wassette.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.ComponentImport;
import dev.wassette.runtime.WasmtimeException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The import classifier agrees with the sandbox's real linker, and a failed link names every missing import. */
class ProvidedImportsTest {
    private static ProvidedImports.Checked check(String name) {
        return ProvidedImports.check(new ComponentImport(name, ComponentImport.Kind.INSTANCE));
    }

    /**
     * Whether the sandbox's linker has an instance under {@code name}, asked through the linker itself:
     * import the name as a function, and Wasmtime says "expected function found instance" only if it
     * found one (an instance import would not tell: a missing one and one lacking the export fail alike).
     */
    private static boolean defined(String name) {
        byte[] text = ("(component (import \"" + name + "\" (func)))").getBytes();
        try (Component c = Fixtures.engine().compile(text)) {
            WasmtimeException e = assertThrows(WasmtimeException.class,
                    () -> new ComponentSandbox(Fixtures.engine(), c, new HostLog(Map.of())));
            String wasmtime = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            return wasmtime.contains("expected function found instance");
        }
    }

    @Test
    void statusesAndPolicyGates() {
        assertEquals("provided", check("wasi:io/streams@0.2.0").describe());
        assertEquals("provided, policy-gated (storage)", check("wasi:filesystem/preopens@0.2.3").describe());
        assertEquals("provided, policy-gated (network)", check("wasi:sockets/tcp@0.2.0").describe());
        assertEquals("provided, policy-gated (network)", check("wasi:http/outgoing-handler@0.2.0").describe());
        assertEquals("provided, policy-gated (environment)", check("wasi:cli/environment@0.2.6").describe());
        assertEquals("provided", check("wassette:host/log@0.1.0").describe());
        assertEquals("missing", check("wasi:config/store@0.2.0-draft").describe());
        assertEquals("missing", check("wasi:http/incoming-handler@0.2.0").describe());
        // The right name as a function instead of an interface does not link either.
        assertEquals(ProvidedImports.Status.MISSING,
                ProvidedImports.check(new ComponentImport("wasi:cli/exit@0.2.0", ComponentImport.Kind.FUNCTION)).status());
    }

    @Test
    void semverRuleIsWasmtimes() {
        assertEquals("wasi:cli/exit@0.2", ProvidedImports.semverTrack("wasi:cli/exit@0.2.0"));
        assertEquals("a:b/c@1", ProvidedImports.semverTrack("a:b/c@1.4.2+build"));
        assertNull(ProvidedImports.semverTrack("a:b/c@0.0.1"));
        assertNull(ProvidedImports.semverTrack("a:b/c@0.2.0-rc-2023-11-10"));
        assertNull(ProvidedImports.semverTrack("a:b/c@0.2"));
        assertNull(ProvidedImports.semverTrack("a:b/c"));
        // Each verdict checked against the real linker, for names on and off the 0.2 track.
        for (String name : List.of("wasi:cli/environment@0.2.0", "wasi:cli/environment@0.2.12", "wasi:cli/environment@0.2.99",
                "wasi:cli/environment@0.2.0-rc-2023-11-10", "wasi:cli/environment@0.3.0", "wasi:cli/environment@0.1.0",
                "wasi:cli/environment", "wasi:cli/environment@1.0.0", "wassette:host/log@0.1.7", "wassette:host/log@0.2.0",
                "wasi:http/types@0.2.4", "wasi:http/incoming-handler@0.2.12", "wasi:clocks/timezone@0.2.12", "wasi:cli/run@0.2.0",
                "wasi:keyvalue/store@0.2.0-draft")) {
            assertEquals(defined(name), check(name).status() != ProvidedImports.Status.MISSING, name);
        }
    }

    @Test
    void everyInterfaceCalledProvidedIsDefinedByTheLinker() {
        for (String name : ProvidedImports.definitions()) {
            assertTrue(defined(name), name);
        }
        // Real components built by their toolchains: everything they import is provided, and they link.
        for (String fixture : List.of("io.wasm", "fetch.wasm", "netprobe.wasm", "host-log.wasm")) {
            Component c = Fixtures.component(fixture);
            assertFalse(c.imports().isEmpty(), fixture);
            assertEquals(List.of(), ProvidedImports.missing(c), fixture);
            assertEquals(c, new ComponentSandbox(Fixtures.engine(), c, new HostLog(Map.of())).component()); // not closed: c is shared
        }
    }

    @Test
    void anInterfaceOfOnlyTypesNeedsNothing() {
        byte[] text = """
                (component
                  (import "acme:shapes/types@1.0.0" (instance
                    (type $p (record (field "x" u32)))
                    (export "point" (type (eq $p)))))
                  (import "acme:shapes/draw@1.0.0" (instance (export "draw" (func)))))""".getBytes();
        try (Component c = Fixtures.engine().compile(text)) {
            assertEquals(List.of("types only, nothing to provide", "missing"),
                    ProvidedImports.check(c).stream().map(ProvidedImports.Checked::describe).toList());
            WasmtimeException e = assertThrows(WasmtimeException.class,
                    () -> new ComponentSandbox(Fixtures.engine(), c, new HostLog(Map.of())));
            assertTrue(e.getMessage().endsWith("does not provide: acme:shapes/draw@1.0.0 (interface)"), e.getMessage());
        }
    }

    @Test
    void linkingNamesEveryMissingImportAtOnce() {
        Component c = Fixtures.component("imports.wat");
        assertEquals(List.of("provided", "provided, policy-gated (environment)", "provided", "missing", "missing", "missing"),
                ProvidedImports.check(c).stream().map(ProvidedImports.Checked::describe).toList());
        WasmtimeException e = assertThrows(WasmtimeException.class,
                () -> new ComponentSandbox(Fixtures.engine(), c, new HostLog(Map.of())));
        assertEquals("cannot link component: the component imports what this server does not provide: "
                + "wasi:config/store@0.2.0-draft (interface), acme:missing/thing@1.0.0 (interface), frob (function)", e.getMessage());
    }

    @Test
    void whenNothingIsMissingWasmtimesReasonStands() {
        // Provided by name, but the function's type does not match: only linking finds that.
        byte[] text = "(component (import \"wasi:cli/environment@0.2.0\" (instance (export \"get-environment\" (func (result u32))))))".getBytes();
        try (Component c = Fixtures.engine().compile(text)) {
            assertEquals(List.of(), ProvidedImports.missing(c));
            WasmtimeException e = assertThrows(WasmtimeException.class,
                    () -> new ComponentSandbox(Fixtures.engine(), c, new HostLog(Map.of())));
            assertTrue(e.getMessage().startsWith("cannot link component: ") && e.getMessage().contains("get-environment"), e.getMessage());
            assertFalse(e.getMessage().contains("does not provide"), e.getMessage());
        }
    }
}

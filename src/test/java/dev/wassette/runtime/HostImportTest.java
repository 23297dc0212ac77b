package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wassette.Fixtures;
import dev.wassette.host.HostLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A guest calling an interface implemented in Java ({@code wassette:host/log}), records and strings both ways. */
class HostImportTest {
    private static Val run(Map<String, HostFunction> functions, String name) {
        try (Linker linker = new Linker(Fixtures.engine())) {
            linker.addWasip2().defineInterface(HostLog.INTERFACE, functions);
            try (InstancePre pre = linker.instantiatePre(Fixtures.component("host-log.wasm"));
                 Store store = new Store(Fixtures.engine(), StoreConfig.defaults().wasi(new WasiConfig()))) {
                return pre.instantiate(store).call("run", new Val.Str(name));
            }
        }
    }

    @Test
    void guestCallsJavaWithRecordsAndStrings() {
        HostLog log = new HostLog(Map.of("greeting", "Hello"));
        List<List<Val>> seen = new ArrayList<>();
        Map<String, HostFunction> functions = new LinkedHashMap<>(log.functions());
        HostFunction entry = functions.get("log-entry");
        functions.put("log-entry", args -> {
            seen.add(args);
            return entry.call(args);
        });
        assertEquals(new Val.Str("Hello, Ada! (1)"), run(functions, "Ada"));
        Val.RecordVal e = (Val.RecordVal) seen.get(0).get(0);
        assertEquals(new Val.EnumVal("warn"), e.get("level"));
        assertEquals(new Val.Str("entry for Ada"), e.get("message"));
        assertEquals(new Val.ListVal(List.of(
                new Val.TupleVal(List.of(new Val.Str("name"), new Val.Str("Ada"))),
                new Val.TupleVal(List.of(new Val.Str("len"), new Val.Str("3"))))), e.get("fields"));
        assertEquals(1, log.entriesSeen());
        assertEquals(new Val.Str("Hi, Bob! (2)"), run(new HostLog(Map.of()).functions().entrySet().stream()
                .collect(LinkedHashMap::new, (m, x) -> m.put(x.getKey(), x.getKey().equals("log-entry") ? a -> new Val.U32(2) : x.getValue()), Map::putAll), "Bob"));
    }

    @Test
    void failingHostFunctionTrapsTheCallNotTheJvm() {
        Map<String, HostFunction> functions = new LinkedHashMap<>(new HostLog(Map.of()).functions());
        functions.put("get-config", args -> {
            throw new IllegalStateException("config store unavailable");
        });
        TrapException e = assertThrows(TrapException.class, () -> run(functions, "Eve"));
        assertEquals(TrapException.Kind.HOST_ERROR, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("config store unavailable"), e.getMessage());
        // The kind comes from the error's type, not its words: a message that reads like a limit is still a host failure.
        Map<String, HostFunction> misleading = new LinkedHashMap<>(new HostLog(Map.of()).functions());
        misleading.put("get-config", args -> {
            throw new IllegalStateException("all fuel consumed; call stack exhausted; call deadline reached; call cancelled: x");
        });
        TrapException worded = assertThrows(TrapException.class, () -> run(misleading, "Eve"));
        assertEquals(TrapException.Kind.HOST_ERROR, worded.kind(), worded.getMessage());
        Map<String, HostFunction> wrongType = new LinkedHashMap<>(new HostLog(Map.of()).functions());
        wrongType.put("log-entry", args -> new Val.Str("not a u32"));
        assertThrows(TrapException.class, () -> run(wrongType, "Eve"));
        assertEquals(new Val.Str("Hi, Eve! (1)"), run(new HostLog(Map.of()).functions(), "Eve"));
    }

    @Test
    void missingImportIsALinkError() {
        try (Linker linker = new Linker(Fixtures.engine())) {
            linker.addWasip2();
            WasmtimeException e = assertThrows(WasmtimeException.class, () -> linker.instantiatePre(Fixtures.component("host-log.wasm")));
            assertTrue(e.getMessage().contains("wassette:host/log"), e.getMessage());
        }
    }
}

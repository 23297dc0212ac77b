package dev.wassette.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wassette.ffi.Wasmtime;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The kinds enum covers exactly the C API's value and type kinds, both ways. */
class ComponentKindTest {
    /** The generated constant getters {@code WASMTIME_COMPONENT_<NAME>()} (values) or {@code _VALTYPE_<NAME>()} (types), by name. */
    private static Set<String> generated(boolean types) {
        Set<String> names = new TreeSet<>();
        for (Method m : Wasmtime.class.getMethods()) {
            String n = m.getName();
            if (Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0 && m.getReturnType() == int.class
                    && n.startsWith("WASMTIME_COMPONENT_") && !n.startsWith("WASMTIME_COMPONENT_ITEM_")
                    && n.startsWith("WASMTIME_COMPONENT_VALTYPE_") == types) {
                names.add(n.substring((types ? "WASMTIME_COMPONENT_VALTYPE_" : "WASMTIME_COMPONENT_").length()));
            }
        }
        return names;
    }

    @Test
    void everyGeneratedKindMapsToItsEnumConstantAndBack() throws Exception {
        NativeLibrary.load();
        Set<String> values = generated(false);
        Set<String> types = generated(true);
        assertEquals(new TreeSet<>(Arrays.stream(ComponentKind.values()).filter(k -> k != ComponentKind.OWN && k != ComponentKind.BORROW
                && k != ComponentKind.FUTURE && k != ComponentKind.STREAM && k != ComponentKind.ERROR_CONTEXT).map(Enum::name).toList()), values);
        assertEquals(new TreeSet<>(Arrays.stream(ComponentKind.values()).filter(k -> k != ComponentKind.RESOURCE).map(Enum::name).toList()), types);
        for (String name : values) {
            int code = (int) Wasmtime.class.getMethod("WASMTIME_COMPONENT_" + name).invoke(null);
            assertEquals(ComponentKind.valueOf(name), ComponentKind.ofValue(code));
            assertEquals(code, ComponentKind.valueOf(name).valueCode());
        }
        for (String name : types) {
            int code = (int) Wasmtime.class.getMethod("WASMTIME_COMPONENT_VALTYPE_" + name).invoke(null);
            assertEquals(ComponentKind.valueOf(name), ComponentKind.ofType(code));
        }
        WasmtimeException unknown = assertThrows(WasmtimeException.class, () -> ComponentKind.ofValue(200));
        assertEquals("unknown component value kind 200", unknown.getMessage());
        assertNull(ComponentKind.ofType(200));
    }
}

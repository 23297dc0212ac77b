package dev.wassette.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.wassette.runtime.Component;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.ExportedFunction;
import dev.wassette.runtime.Instance;
import dev.wassette.runtime.InstancePre;
import dev.wassette.runtime.Linker;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import dev.wassette.runtime.Val;
import dev.wassette.runtime.WasiConfig;
import dev.wassette.runtime.WitType;
import dev.wassette.tools.JsonValues;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of moving values across the component boundary: one call of an echo export of the C
 * fixture {@code types.wasm} (WIT: src/test/fixtures/wit/fixtures.wit, interface {@code types}) on
 * one store and instance, through {@link Instance#call(ExportedFunction, List)}. Each call lowers
 * the argument into linear memory and lifts the same value back, so the bytes cross twice. The
 * engine has the defaults (epoch and fuel on), the store a WASI context (the component imports
 * WASI p2 through wasi-libc).
 *
 * <ul>
 *   <li>{@code string-1KiB}, {@code string-64KiB}, {@code string-1MiB}: {@code echo-string}, ASCII;
 *       the slope between sizes is the cost per byte;
 *   <li>{@code bytes-64KiB}, {@code bytes-1MiB}: {@code echo-bytes}, a {@code list<u8>} made from a JSON array
 *       by {@code JsonValues.fromJson}, as the server makes tool arguments;
 *   <li>{@code u32-64Ki}: {@code echo-list}, a {@code list<u32>} of 65 536 values, made the same way;
 *   <li>{@code config}: {@code echo-record} of {@code config {name, retries, ratio, tags: list<string>
 *       (8), origin: option<point>}};
 *   <li>{@code records-1000}: {@code echo-nested}, a {@code list<option<point>>} of 1 000
 *       {@code some(point {x, y})} records.
 * </ul>
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ComponentMarshalBenchmark extends BenchmarkDefaults {
    private static final String IFACE = "wassette:fixtures/types@0.1.0#";

    @Param({"string-1KiB", "string-64KiB", "string-1MiB", "bytes-64KiB", "bytes-1MiB", "u32-64Ki", "config", "records-1000"})
    public String payload;

    private Engine engine;
    private Component component;
    private InstancePre pre;
    private Store store;
    private Instance instance;
    private ExportedFunction function;
    private List<Val> args;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Path file = Fixtures.wasiComponent();
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("skipped: " + file + " does not exist (build the main project's test fixtures:"
                    + " src/test/fixtures/build.sh)");
        }
        engine = Engine.builder().build();
        component = engine.compile(file);
        try (Linker linker = new Linker(engine)) {
            linker.addWasip2();
            pre = linker.instantiatePre(component);
        }
        store = new Store(engine, StoreConfig.defaults().wasi(new WasiConfig()));
        instance = pre.instantiate(store);

        Val arg = switch (payload) {
            case "string-1KiB" -> new Val.Str(ascii(1 << 10));
            case "string-64KiB" -> new Val.Str(ascii(64 << 10));
            case "string-1MiB" -> new Val.Str(ascii(1 << 20));
            // Lists of numbers are made as the server makes them from a tool call's JSON arguments.
            case "bytes-64KiB", "bytes-1MiB" -> {
                int n = payload.equals("bytes-1MiB") ? 1 << 20 : 64 << 10;
                ArrayNode json = JsonNodeFactory.instance.arrayNode(n);
                for (int i = 0; i < n; i++) {
                    json.add(i * 31 & 0xff);
                }
                yield JsonValues.fromJson(json, new WitType.ListType(WitType.Primitive.U8), "v");
            }
            case "u32-64Ki" -> {
                ArrayNode json = JsonNodeFactory.instance.arrayNode(64 << 10);
                for (int i = 0; i < 64 << 10; i++) {
                    json.add((i * 2_654_435_761L) & 0xFFFF_FFFFL);
                }
                yield JsonValues.fromJson(json, new WitType.ListType(WitType.Primitive.U32), "v");
            }
            case "config" -> {
                List<Val> tags = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    tags.add(new Val.Str("tag-" + i));
                }
                yield new Val.RecordVal(List.of(
                        new Val.Field("name", new Val.Str("benchmark configuration")),
                        new Val.Field("retries", new Val.U8(3)),
                        new Val.Field("ratio", new Val.F64(0.75)),
                        new Val.Field("tags", new Val.ListVal(tags)),
                        new Val.Field("origin", new Val.OptionVal(point(-5, 12)))));
            }
            case "records-1000" -> {
                List<Val> points = new ArrayList<>(1000);
                for (int i = 0; i < 1000; i++) {
                    points.add(new Val.OptionVal(point(i, -i * 7)));
                }
                yield new Val.ListVal(points);
            }
            default -> throw new IllegalArgumentException("unknown payload " + payload);
        };
        String export = switch (payload.substring(0, payload.indexOf('-') < 0 ? payload.length() : payload.indexOf('-'))) {
            case "string" -> "echo-string";
            case "bytes" -> "echo-bytes";
            case "u32" -> "echo-list";
            case "config" -> "echo-record";
            case "records" -> "echo-nested";
            default -> throw new IllegalArgumentException(payload);
        };
        function = component.export(IFACE + export);
        Fixtures.check(function != null, "types.wasm exports " + IFACE + export);
        args = List.of(arg);
        for (int i = 0; i < 3; i++) {
            Val result = call();
            Fixtures.check(arg.equals(result), export + " returns its argument (" + payload + "), call " + (i + 1));
        }
    }

    private static Val point(int x, int y) {
        return new Val.RecordVal(List.of(new Val.Field("x", new Val.S32(x)), new Val.Field("y", new Val.S32(y))));
    }

    private static String ascii(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append((char) ('a' + i % 26));
        }
        return sb.toString();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        pre.close();
        component.close();
        engine.close();
    }

    @Benchmark
    public Val call() {
        return instance.call(function, args);
    }
}

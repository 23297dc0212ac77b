package dev.wassette.bench;

import dev.wassette.bench.runtime.NativeKernel;
import dev.wassette.runtime.CoreModule;
import dev.wassette.runtime.Engine;
import dev.wassette.runtime.Store;
import dev.wassette.runtime.StoreConfig;
import java.nio.file.Path;

/** One instance of a kernel module on one engine: {@code prepare}, {@code run}, {@code self_test}. */
interface KernelRunner extends AutoCloseable {
    int prepare(int seed, int size);

    int run();

    boolean hasSelfTest();

    int selfTest();

    @Override
    default void close() {}

    /** The engines of {@link KernelBenchmark} by name, running {@code kernel}. */
    static KernelRunner create(String engine, Kernels kernel) {
        if (engine.equals("native")) {
            return new Native(kernel.nativeLibrary());
        }
        byte[] wasm = kernel.wasm();
        return switch (engine) {
            case "wasmtime" -> new Wasmtime(Engine.builder().epochInterruption(false).consumeFuel(false).build(), wasm);
            case "wasmtimeLimits" -> new Wasmtime(Engine.builder().epochInterruption(true).consumeFuel(true).build(), wasm);
            case "chicoryInterpreter" -> chicory(wasm, false);
            case "chicoryCompiler" -> chicory(wasm, true);
            case "endiveCompiler" -> endive(wasm);
            default -> throw new IllegalArgumentException("unknown engine " + engine);
        };
    }

    /** Wasmtime through this project's FFM binding ({@link CoreModule}). */
    final class Wasmtime implements KernelRunner {
        private final Engine engine;
        private final Store store;
        private final CoreModule module;
        private final CoreModule.Function prepareFn;
        private final CoreModule.Function runFn;
        private final CoreModule.Function selfTestFn;

        Wasmtime(Engine engine, byte[] wasm) {
            this.engine = engine;
            this.store = new Store(engine, StoreConfig.defaults()); // unlimited fuel when the engine meters it
            this.module = CoreModule.compile(engine, wasm);
            CoreModule.Instance instance = module.instantiate(store);
            prepareFn = instance.function("prepare");
            runFn = instance.function("run");
            CoreModule.Function self;
            try {
                self = instance.function("self_test");
            } catch (RuntimeException e) {
                self = null;
            }
            selfTestFn = self;
        }

        @Override
        public int prepare(int seed, int size) {
            return (int) prepareFn.call(seed, size);
        }

        @Override
        public int run() {
            return (int) runFn.call();
        }

        @Override
        public boolean hasSelfTest() {
            return selfTestFn != null;
        }

        @Override
        public int selfTest() {
            return (int) selfTestFn.call();
        }

        @Override
        public void close() {
            store.close();
            module.close();
            engine.close();
        }
    }

    /**
     * The baseline: the kernel's C compiled natively (clang -O2, x86-64) into a shared library, its
     * exports called through FFM downcalls ({@link NativeKernel}): the same harness around the same
     * code, without a sandbox.
     */
    record Native(NativeKernel kernel) implements KernelRunner {
        Native(Path library) {
            this(new NativeKernel(library));
        }

        @Override
        public int prepare(int seed, int size) {
            return kernel.prepare(seed, size);
        }

        @Override
        public int run() {
            return kernel.run();
        }

        @Override
        public boolean hasSelfTest() {
            return kernel.hasSelfTest();
        }

        @Override
        public int selfTest() {
            return kernel.selfTest();
        }

        @Override
        public void close() {
            kernel.close();
        }
    }

    /** Chicory 1.x: its interpreter, or its runtime compiler (wasm to JVM bytecode at instantiation). */
    static KernelRunner chicory(byte[] wasm, boolean compiled) {
        var module = com.dylibso.chicory.wasm.Parser.parse(wasm);
        var builder = com.dylibso.chicory.runtime.Instance.builder(module);
        if (compiled) {
            builder.withMachineFactory(com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(module));
        }
        var instance = builder.build();
        boolean hasSelf = java.util.stream.IntStream.range(0, module.exportSection().exportCount())
                .anyMatch(i -> module.exportSection().getExport(i).name().equals("self_test"));
        return new PureJava(instance.export("prepare")::apply, instance.export("run")::apply,
                hasSelf ? instance.export("self_test")::apply : null);
    }

    /** Endive (Chicory's successor), runtime compiler. */
    static KernelRunner endive(byte[] wasm) {
        var module = run.endive.wasm.Parser.parse(wasm);
        var instance = run.endive.runtime.Instance.builder(module)
                .withMachineFactory(run.endive.compiler.MachineFactoryCompiler.compile(module))
                .build();
        boolean hasSelf = java.util.stream.IntStream.range(0, module.exportSection().exportCount())
                .anyMatch(i -> module.exportSection().getExport(i).name().equals("self_test"));
        return new PureJava(instance.export("prepare")::apply, instance.export("run")::apply,
                hasSelf ? instance.export("self_test")::apply : null);
    }

    /** An export of a pure-Java engine: long arguments in, long results out (Chicory and Endive alike). */
    @FunctionalInterface
    interface Export {
        long[] apply(long... args);
    }

    /** A kernel on a pure-Java engine, through its exports. */
    record PureJava(Export prepareFn, Export runFn, Export selfTestFn) implements KernelRunner {
        @Override
        public int prepare(int seed, int size) {
            return (int) prepareFn.apply(seed, size)[0];
        }

        @Override
        public int run() {
            return (int) runFn.apply()[0];
        }

        @Override
        public boolean hasSelfTest() {
            return selfTestFn != null;
        }

        @Override
        public int selfTest() {
            return (int) selfTestFn.apply()[0];
        }
    }
}

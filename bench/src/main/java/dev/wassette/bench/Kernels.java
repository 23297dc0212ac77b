package dev.wassette.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The compute kernels: core wasm modules built from {@code bench/kernels/*.c} by
 * {@code bench/kernels/build.sh} into {@code bench/target/kernels/} (bench/run.sh does it). Each
 * module exports {@code prepare(seed, size) -> i32}, which generates its input inside linear
 * memory, and {@code run() -> i32}, which does the work once and returns a checksum. No imports,
 * so every engine runs the same bytes.
 *
 * <p>The checksums are the same on every engine: for SHA-256 and the sort they are also computed
 * here in Java from the same generated input (MessageDigest, Arrays.sort); for the JSON parse and
 * the CoreMark-like mix they are the constants below (the C code compiled natively gives the same;
 * the JSON module also checks its counts against the generator's and returns -2 if they differ).
 */
enum Kernels {
    /** SHA-256 of 1 MiB. Checksum: the first 4 bytes of the digest, big-endian. */
    SHA256("sha256", 1 << 20, 1 << 20) {
        @Override
        int reference() {
            byte[] input = new byte[size];
            Xorshift rng = new Xorshift(SEED);
            for (int i = 0; i < size; i++) {
                input[i] = (byte) rng.next();
            }
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(input);
                return (d[0] & 0xff) << 24 | (d[1] & 0xff) << 16 | (d[2] & 0xff) << 8 | (d[3] & 0xff);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    },
    /** Validating parse of a generated 1 MB JSON document (1 000 312 bytes for seed 42). */
    JSON("json", 1_000_000, 1_000_312) {
        @Override
        int reference() {
            return 1526457244;
        }
    },
    /** Introsort of 10^6 random ints (plus a 4 MB copy and an order check). */
    SORT("sort", 1_000_000, 1_000_000) {
        @Override
        int reference() {
            int[] a = new int[size];
            Xorshift rng = new Xorshift(SEED);
            for (int i = 0; i < size; i++) {
                a[i] = rng.next();
            }
            Arrays.sort(a);
            int sum = 0;
            for (int i = 0; i < size; i++) {
                sum += a[i] * (i + 1);
            }
            return sum;
        }
    },
    /** 300 iterations of the list / matrix / state-machine mix. */
    COREMARK("coremark", 300, 300) {
        @Override
        int reference() {
            return 54413;
        }
    };

    static final int SEED = 42;

    final String file;
    /** The {@code size} argument of {@code prepare}. */
    final int size;
    /** What {@code prepare} returns. */
    final int prepared;

    Kernels(String file, int size, int prepared) {
        this.file = file;
        this.size = size;
        this.prepared = prepared;
    }

    /** The checksum {@code run()} must return for {@link #SEED} and {@link #size}. */
    abstract int reference();

    static Kernels of(String name) {
        return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }

    byte[] wasm() {
        return Fixtures.read(dir().resolve(file + ".wasm"));
    }

    /** The same C compiled natively, beside the modules ({@code native/lib<kernel>.so}, build.sh makes it). */
    Path nativeLibrary() {
        Path library = dir().resolve("native/lib" + file + ".so");
        if (!Files.isRegularFile(library)) {
            throw new IllegalStateException("no " + library + ": build it with bench/kernels/build.sh (bench/run.sh does)");
        }
        return library;
    }

    /**
     * Prepares the input on {@code runner} and checks {@code run()} twice against
     * {@link #reference()}; also the module's own {@code self_test} where it has one.
     */
    void prepareAndCheck(KernelRunner runner, String engine) {
        String what = engine + " " + file;
        if (runner.hasSelfTest()) {
            int self = runner.selfTest();
            Fixtures.check(self == 1, what + " self_test() == 1 (got " + self + ")");
        }
        int got = runner.prepare(SEED, size);
        Fixtures.check(got == prepared, what + " prepare(" + SEED + ", " + size + ") == " + prepared + " (got " + got + ")");
        int expected = reference();
        for (int i = 0; i < 2; i++) {
            int sum = runner.run();
            Fixtures.check(sum == expected, what + " run() == " + expected + " (got " + sum + ")");
        }
    }

    /**
     * Where the built modules are: system property {@code wassette.kernels}, environment
     * {@code WASSETTE_KERNELS}, {@code target/kernels} relative to the working directory (bench/),
     * else {@code kernels} beside {@code benchmarks.jar}.
     */
    static Path dir() {
        String configured = System.getProperty("wassette.kernels", System.getenv("WASSETTE_KERNELS"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        java.util.List<Path> candidates = new java.util.ArrayList<>(java.util.List.of(Path.of("target/kernels"), Path.of("bench/target/kernels")));
        try {
            Path jar = Path.of(Kernels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            candidates.add(jar.resolveSibling("kernels"));
        } catch (Exception ignored) {
            // no code source
        }
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate.resolve("sha256.wasm"))) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("cannot find the kernel modules (sha256.wasm, ...) from " + Path.of("").toAbsolutePath()
                + ": build them with bench/kernels/build.sh (bench/run.sh does) or set -Dwassette.kernels=DIR / WASSETTE_KERNELS=DIR");
    }

    /** The generator of bench/kernels/kernel.h. */
    static final class Xorshift {
        private int state;

        Xorshift(int seed) {
            state = seed != 0 ? seed : 0x9e3779b9;
        }

        int next() {
            int x = state;
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            state = x;
            return x;
        }
    }
}

#!/usr/bin/env bash
# Builds and runs the JMH benchmarks of wassette-java.
#
#   bench/run.sh                      # every benchmark (about 3 minutes on 2 cores)
#   bench/run.sh CoreCall             # only benchmarks matching a regex
#   bench/run.sh ComponentCall -p length=16 -prof gc     # any JMH option
#   bench/run.sh -h                   # JMH's options
#
# Environment: SKIP_INSTALL=1 skips re-installing the main artifact (dev.wassette:wassette-java)
# into ~/.m2; WASSETTE_FIXTURES=DIR overrides src/test/fixtures/wat; WASSETTE_WASI_COMPONENT=FILE
# overrides target/fixtures/types.wasm (ComponentMarshalBenchmark and InstantiateBenchmark use it;
# src/test/fixtures/build.sh makes it); WASSETTE_KERNELS=DIR overrides bench/target/kernels.
# Results: printed, and kept in bench/target/jmh-result.json
# and bench/target/jmh-output.txt.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

export JAVA_HOME="${WASSETTE_BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:$PATH"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

if [[ "${SKIP_INSTALL:-0}" != 1 ]]; then
  echo "== installing dev.wassette:wassette-java (tests skipped)"
  (cd "$ROOT" && mvn -q -B -DskipTests -Dmaven.test.skip=true install)
fi

echo "== building bench/target/benchmarks.jar"
(cd "$BENCH_DIR" && mvn -q -B package)

# The embedding examples (HttpServiceLoad runs HttpServiceExample), compiled against that jar.
echo "== compiling examples/ into bench/target/examples"
rm -rf "$BENCH_DIR/target/examples"
javac --release 25 -d "$BENCH_DIR/target/examples" -cp "$BENCH_DIR/target/benchmarks.jar" \
  $(find "$ROOT/examples/src/main/java" -name '*.java')

# The compute kernels (KernelBenchmark, GraalKernelBenchmark): C to core wasm with clang-19, from
# bench/kernels/*.c into bench/target/kernels/ (only what changed is rebuilt).
echo "== building the compute kernels (bench/kernels/build.sh)"
"$BENCH_DIR/kernels/build.sh" "$BENCH_DIR/target/kernels"

args=("$@")
# The WASI case of InstantiateBenchmark needs the main project's built fixture; without it, run the
# echo.wat case only instead of failing that benchmark.
wasi_component="${WASSETTE_WASI_COMPONENT:-$ROOT/target/fixtures/types.wasm}"
if [[ ! -f "$wasi_component" && " ${args[*]:-} " != *instantiateComponent* ]]; then
  echo "== $wasi_component is absent: InstantiateBenchmark runs echo.wat only"
  args+=(-p instantiateComponent=echo.wat)
fi
# Machine-readable results unless the caller chose their own.
if [[ " ${args[*]:-} " != *" -rf "* && " ${args[*]:-} " != *" -rff "* ]]; then
  args+=(-rf json -rff "$BENCH_DIR/target/jmh-result.json")
fi

echo "== java $(java -version 2>&1 | head -1), $(nproc) cores"
cd "$BENCH_DIR" # fixtures resolve from here: ../src/test/fixtures/wat
java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -jar "$BENCH_DIR/target/benchmarks.jar" "${args[@]}" \
  | tee "$BENCH_DIR/target/jmh-output.txt"
status=${PIPESTATUS[0]}

echo
echo "== results (bench/target/jmh-output.txt)"
sed -n '/^Benchmark /,$p' "$BENCH_DIR/target/jmh-output.txt"
exit "$status"

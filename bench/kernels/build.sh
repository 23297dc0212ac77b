#!/usr/bin/env bash
# Builds the compute kernels (bench/kernels/*.c) to core wasm modules in OUT_DIR
# (default bench/target/kernels): freestanding C, no libc, no imports, one module per kernel.
# Also the same sources compiled natively for x86-64 (OUT_DIR/native/lib<kernel>.so, clang -O2,
# no libc), the baseline KernelBenchmark's "native" engine calls through FFM.
#
#   bench/kernels/build.sh [OUT_DIR]
#
# Needs clang-19 and wasm-ld-19 (Debian clang-19, lld-19: scripts/setup-toolchains.sh installs them).
# Rebuilds a module only when its source, kernel.h or this script is newer.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../target/kernels}"
CLANG="${CLANG:-clang-19}"
command -v "$CLANG" >/dev/null || { echo "kernels: $CLANG not found (run scripts/setup-toolchains.sh)" >&2; exit 1; }
command -v wasm-ld-19 >/dev/null || command -v wasm-ld >/dev/null || { echo "kernels: wasm-ld not found (lld-19)" >&2; exit 1; }
mkdir -p "$OUT"
# -mcpu=mvp plus the two features every engine here runs (sign extension, mutable globals):
# no bulk memory, SIMD, multi-value or reference types, so the same bytes run on Wasmtime,
# Chicory, Endive and GraalWasm. 1 MiB of stack (the JSON parser recurses per nesting level).
FLAGS=(--target=wasm32-unknown-unknown -mcpu=mvp -msign-ext -mmutable-globals -O2 -std=c11
       -ffreestanding -nostdlib -fno-builtin -Wall -Wextra -Werror
       -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=1048576 -Wl,--export-memory)
# The native baseline: the same C and optimisation level for the host (baseline x86-64, so SSE2
# and no wider vectors), a shared library with only the exports visible.
NATIVE_FLAGS=(-O2 -std=c11 -ffreestanding -nostdlib -fno-builtin -fPIC -shared -fvisibility=hidden
              -Wall -Wextra -Werror)
mkdir -p "$OUT/native"
fresh() { [[ -f "$1" && "$1" -nt "$2" && "$1" -nt "$HERE/kernel.h" && "$1" -nt "${BASH_SOURCE[0]}" ]]; }
for src in "$HERE"/*.c; do
  name="$(basename "$src" .c)"
  out="$OUT/$name.wasm"
  if ! fresh "$out" "$src"; then
    "$CLANG" "${FLAGS[@]}" -o "$out.tmp" "$src"
    mv "$out.tmp" "$out"
    echo "kernels: $name.wasm ($(stat -c %s "$out") bytes)" >&2
  fi
  lib="$OUT/native/lib$name.so"
  if ! fresh "$lib" "$src"; then
    "$CLANG" "${NATIVE_FLAGS[@]}" -o "$lib.tmp" "$src"
    mv "$lib.tmp" "$lib"
    echo "kernels: native/lib$name.so ($(stat -c %s "$lib") bytes)" >&2
  fi
done

#!/usr/bin/env bash
# Builds libwassette_wasmtime (Wasmtime's C API + our extensions) from source, or reuses a cached
# build. The cache lives outside the clone, keyed by a hash of every input, so CI and later
# sessions reuse it:
#   ${WASSETTE_CACHE:-~/.cache/wassette}/native/<hash>/{libwassette_wasmtime.so,include/,BUILD_INFO}
# Usage: native/build.sh [DEST_DIR]   copies the library into DEST_DIR/<platform>/ when given.
# Prints the cache directory on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${WASSETTE_CACHE:-$HOME/.cache/wassette}"
platform="linux-x86_64"
lib="libwassette_wasmtime.so"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "native/build.sh: only linux-x86_64 is supported so far (this is $(uname -s)-$(uname -m))" >&2; exit 1 ;;
esac

inputs_hash() {
  (cd "$here" && find Cargo.toml Cargo.lock rust-toolchain.toml build.sh src include -type f -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

hash="$(inputs_hash)"
out="$cache_root/native/$hash"

if [ ! -f "$out/$lib" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v cargo >/dev/null || { echo "native/build.sh: cargo not found; install Rust with rustup" >&2; exit 1; }
  command -v cmake >/dev/null || { echo "native/build.sh: cmake not found (apt-get install cmake)" >&2; exit 1; }
  toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/rust-toolchain.toml")"
  if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "native/build.sh: installing Rust $toolchain" >&2
    rustup toolchain install "$toolchain" --profile minimal >&2
  fi
  echo "native/build.sh: building Wasmtime C API from source (first build takes ~15-25 min on 2 cores)..." >&2
  start=$(date +%s)
  target_dir="$cache_root/cargo-target"
  (cd "$here" && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked >&2)
  headers="$(ls -d "$target_dir"/release/build/wasmtime-c-api-impl-*/out/include 2>/dev/null | head -n1)"
  [ -n "$headers" ] && [ -f "$headers/wasmtime/conf.h" ] || { echo "native/build.sh: generated headers not found" >&2; exit 1; }
  mkdir -p "$cache_root/native"
  tmp="$(mktemp -d "$cache_root/native/.tmp.XXXXXX")"
  cp "$target_dir/release/$lib" "$tmp/$lib"
  mkdir -p "$tmp/include"
  cp -r "$headers"/. "$tmp/include/"
  cp "$here/include/wassette.h" "$tmp/include/"
  printf 'inputs=%s\nbuilt=%s\nseconds=%s\nrustc=%s\n' "$hash" "$(date -u +%FT%TZ)" "$(( $(date +%s) - start ))" \
    "$(cd "$here" && rustc --version)" > "$tmp/BUILD_INFO"
  rm -rf "$out"
  mv "$tmp" "$out"
  echo "native/build.sh: built in $(( $(date +%s) - start )) s -> $out" >&2
fi

if [ $# -ge 1 ]; then
  mkdir -p "$1/$platform"
  cp -p "$out/$lib" "$1/$platform/$lib"
  cp -p "$out/BUILD_INFO" "$1/$platform/BUILD_INFO"
fi
echo "$out"

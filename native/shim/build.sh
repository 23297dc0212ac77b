#!/usr/bin/env bash
# Builds the stdio shim of the per-user daemon (wassette-shim), or reuses a cached build keyed by a
# hash of its inputs: ${WASSETTE_CACHE:-~/.cache/wassette}/shim/<hash>/wassette-shim
# Usage: native/shim/build.sh [DEST_FILE]   copies the binary to DEST_FILE when given.
# Prints the cached binary's path on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${WASSETTE_CACHE:-$HOME/.cache/wassette}"
hash="$(cd "$here" && find Cargo.toml Cargo.lock rust-toolchain.toml build.sh src -type f -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
out="$cache_root/shim/$hash"

if [ ! -x "$out/wassette-shim" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v cargo >/dev/null || { echo "native/shim/build.sh: cargo not found; install Rust with rustup" >&2; exit 1; }
  toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/rust-toolchain.toml")"
  if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal >&2
  fi
  target_dir="$cache_root/shim-target"
  # Its unit tests run whenever it is built (a cached build passed them when it was made).
  (cd "$here" && CARGO_TARGET_DIR="$target_dir" cargo test --release --locked >&2 \
    && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked >&2)
  mkdir -p "$cache_root/shim"
  tmp="$(mktemp -d "$cache_root/shim/.tmp.XXXXXX")"
  cp "$target_dir/release/wassette-shim" "$tmp/wassette-shim"
  rm -rf "$out"
  mv "$tmp" "$out"
fi

if [ $# -ge 1 ]; then
  mkdir -p "$(dirname "$1")"
  cp -p "$out/wassette-shim" "$1"
fi
echo "$out/wassette-shim"

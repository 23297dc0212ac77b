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

export PATH="$HOME/.cargo/bin:$PATH"
toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/rust-toolchain.toml")"
# Linked statically against musl: one shim runs per MCP session for the session's whole life, and a
# static binary maps ~0.5 MiB where the dynamically linked one maps ~2.2 MiB (mostly glibc's pages,
# counted in each process's RSS). Falls back to glibc, linked statically (~1.5 MiB), when rustup
# cannot add the musl target; such a build is marked, and replaced once the target can be added.
musl=x86_64-unknown-linux-musl
musl_target_ready() {
  rustup target list --toolchain "$toolchain" --installed 2>/dev/null | grep -qx "$musl" \
    || rustup target add --toolchain "$toolchain" "$musl" >&2
}

if [ ! -x "$out/wassette-shim" ] || { [ -f "$out/fallback" ] && musl_target_ready; }; then
  command -v cargo >/dev/null || { echo "native/shim/build.sh: cargo not found; install Rust with rustup" >&2; exit 1; }
  if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal >&2
  fi
  target_dir="$cache_root/shim-target"
  target="$musl"
  if ! musl_target_ready; then
    echo "native/shim/build.sh: the $musl target is not available; linking against glibc statically" >&2
    target=x86_64-unknown-linux-gnu
    export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"
  fi
  # Its unit tests run whenever it is built (a cached build passed them when it was made).
  (cd "$here" && CARGO_TARGET_DIR="$target_dir" cargo test --release --locked --target "$target" >&2 \
    && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --target "$target" >&2)
  mkdir -p "$cache_root/shim"
  tmp="$(mktemp -d "$cache_root/shim/.tmp.XXXXXX")"
  cp "$target_dir/$target/release/wassette-shim" "$tmp/wassette-shim"
  [ "$target" = "$musl" ] || echo "$target" > "$tmp/fallback"
  rm -rf "$out"
  mv "$tmp" "$out"
fi

if [ $# -ge 1 ]; then
  mkdir -p "$(dirname "$1")"
  cp -p "$out/wassette-shim" "$1"
fi
echo "$out/wassette-shim"

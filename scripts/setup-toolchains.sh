#!/usr/bin/env bash
# Installs the toolchains that build the WebAssembly test fixtures
# (src/test/fixtures), installing only what is missing. Idempotent, unattended,
# and quick when everything is already there.
#
#   Debian:    clang-19, lld-19, libclang-rt-19-dev-wasm32, wasi-libc
#   npm:       jco + componentize-js, pinned by src/test/fixtures/tools/package-lock.json
#   crates.io: wasm-tools, wit-bindgen-cli (pinned below)
#
# Non-Debian tools go to ${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}
# (outside the repo). Progress goes to stderr; stdout gets shell assignments
# naming the tools, for `eval "$(scripts/setup-toolchains.sh)"`.
set -euo pipefail

# Pins. wasm-tools 1.261 uses the same wasmparser (0.261) as Wasmtime 50.0.1,
# so its validator accepts what the embedded Wasmtime accepts. wit-bindgen
# 0.62 emits component-type metadata (wit-component 0.259) that the newer
# wasm-tools reads. jco 1.35.0 has a WIT path bug: stay on 1.34.0.
WASM_TOOLS_VERSION=1.261.0
WIT_BINDGEN_VERSION=0.62.0
JCO_VERSION=1.34.0            # must match tools/package.json
COMPONENTIZE_JS_VERSION=0.23.0
APT_PACKAGES=(clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc)
RUST_FIXTURE_TOOLCHAIN=1.95.0 # Rust guests (wasm32-wasip2 std: sockets, files) build with this

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}"
NPM_SPEC="$ROOT/src/test/fixtures/tools"

log() { echo "setup-toolchains: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else die "need root to run: $*"; fi
}

# --- Debian packages --------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
  log "apt: installing ${missing[*]}"
  as_root apt-get update -qq >&2 || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
fi
command -v clang-19 >/dev/null || die "clang-19 not on PATH"
[ -f /usr/lib/wasm32-wasi/libc.a ] || die "wasi-libc not found at /usr/lib/wasm32-wasi"

# --- npm: jco + componentize-js ---------------------------------------------
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are required (Node 20+)"
NPM_DIR="$TOOLS/npm"
want_stamp="$(cat "$NPM_SPEC/package.json" "$NPM_SPEC/package-lock.json" | sha256sum | cut -c1-16) node-$(node --version)"
if [ "$(cat "$NPM_DIR/.stamp" 2>/dev/null)" != "$want_stamp" ] || [ ! -x "$NPM_DIR/node_modules/.bin/jco" ]; then
  log "npm: installing jco@$JCO_VERSION componentize-js@$COMPONENTIZE_JS_VERSION into $NPM_DIR"
  mkdir -p "$NPM_DIR"
  cp "$NPM_SPEC/package.json" "$NPM_SPEC/package-lock.json" "$NPM_DIR/"
  (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci in $NPM_DIR failed"
  echo "$want_stamp" > "$NPM_DIR/.stamp"
fi
JCO_DIR="$NPM_DIR/node_modules/@bytecodealliance/jco"
CJS_DIR="$NPM_DIR/node_modules/@bytecodealliance/componentize-js"
got="$(node -p "require('$JCO_DIR/package.json').version")"
[ "$got" = "$JCO_VERSION" ] || die "jco is $got, expected $JCO_VERSION (fix tools/package.json)"
got="$(node -p "require('$CJS_DIR/package.json').version")"
[ "$got" = "$COMPONENTIZE_JS_VERSION" ] || die "componentize-js is $got, expected $COMPONENTIZE_JS_VERSION"
ADAPTER="$JCO_DIR/lib/wasi_snapshot_preview1.reactor.wasm"
[ -f "$ADAPTER" ] || die "WASI reactor adapter missing: $ADAPTER"

# --- crates.io: wasm-tools, wit-bindgen -------------------------------------
CARGO_ROOT="$TOOLS/cargo"
cargo_tool() { # <binary> <crate> <version> <probe subcommand> <cargo install args...>
  local bin="$1" crate="$2" version="$3" probe="$4"; shift 4
  # Installed at this version and built with the features asked for (the probe subcommand runs).
  if "$CARGO_ROOT/bin/$bin" --version 2>/dev/null | grep -qF " $version" \
     && { [ -z "$probe" ] || "$CARGO_ROOT/bin/$bin" $probe --help >/dev/null 2>&1; }; then return; fi
  command -v cargo >/dev/null || die "cargo is required to install $crate"
  log "cargo: installing $crate@$version (a few minutes)"
  # Run from $TOOLS so no project rust-toolchain.toml applies.
  (cd "$TOOLS" && cargo install --quiet --locked --root "$CARGO_ROOT" "$crate@$version" "$@" >&2) \
    || die "cargo install $crate@$version failed"
}
mkdir -p "$TOOLS"
# smith: random valid modules for ComponentBytesFuzzTest (src/test/fixtures/build.sh makes them).
cargo_tool wasm-tools wasm-tools "$WASM_TOOLS_VERSION" smith \
  --no-default-features --features validate,print,parse,component,metadata,smith
cargo_tool wit-bindgen wit-bindgen-cli "$WIT_BINDGEN_VERSION" "" --no-default-features --features c

# --- rustup: wasm32-wasip2 for the Rust fixtures ------------------------------
if ! rustup +"$RUST_FIXTURE_TOOLCHAIN" target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  command -v rustup >/dev/null || die "rustup is required for the Rust fixtures"
  log "rustup: installing Rust $RUST_FIXTURE_TOOLCHAIN with target wasm32-wasip2"
  rustup toolchain install "$RUST_FIXTURE_TOOLCHAIN" --profile minimal --target wasm32-wasip2 >&2 \
    || die "rustup could not install $RUST_FIXTURE_TOOLCHAIN / wasm32-wasip2"
fi

log "ok (tools in $TOOLS)"
emit() { printf '%s=%q\n' "$1" "$2"; }
emit WASSETTE_TOOLS "$TOOLS"
emit CLANG clang-19
emit WASM_TOOLS "$CARGO_ROOT/bin/wasm-tools"
emit WIT_BINDGEN "$CARGO_ROOT/bin/wit-bindgen"
emit JCO "$NPM_DIR/node_modules/.bin/jco"
emit COMPONENTIZE_JS "$NPM_DIR/node_modules/.bin/componentize-js"
emit WASI_ADAPTER "$ADAPTER"
emit WASI_WIT "$JCO_DIR/lib/wit/builtin"
emit RUST_FIXTURE_TOOLCHAIN "$RUST_FIXTURE_TOOLCHAIN"
emit TOOL_VERSIONS "rust=$RUST_FIXTURE_TOOLCHAIN clang-19=$(dpkg-query -W -f='${Version}' clang-19) wasi-libc=$(dpkg-query -W -f='${Version}' wasi-libc) node=$(node --version) jco=$JCO_VERSION componentize-js=$COMPONENTIZE_JS_VERSION wasm-tools=$WASM_TOOLS_VERSION wit-bindgen=$WIT_BINDGEN_VERSION"

#!/usr/bin/env bash
# Installs the OCI tools the registry tests start and drive (src/test/java/dev/wassette/oci),
# installing only what is missing. Idempotent, unattended, quick when everything is there.
#
#   Go module proxy: the CNCF distribution registry, go-containerregistry's in-memory registry, oras,
#                    cosign v2 (signs with the legacy `sha256-<hex>.sig` tag) and cosign v3 (Sigstore
#                    bundles attached through the OCI referrers API)
#   this repository: src/test/referrers-registry, go-containerregistry's registry package with its
#                    referrers API switched on (neither registry above serves that API)
#   crates.io:       wkg (wasm-pkg-tools), which pushes Wasm OCI artifacts as most publishers do
#   and, for the metrics tests, Prometheus' promtool (`promtool check metrics`: the real text parser
#   and linter), from the Go module proxy; for the deployment files, src/test/deploy-check
#   (BuildKit's Dockerfile frontend and lint rules, as `docker build --check` runs them, and the
#   Kubernetes API types' strict decoding; no daemon, no cluster)
#
# Everything goes to ${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools} (outside the repo), one
# directory per tool and version, so a changed pin installs beside the old one. Progress goes to
# stderr; stdout gets shell assignments naming the binaries, for
# `eval "$(scripts/setup-registry-tools.sh)"`.
set -euo pipefail

DISTRIBUTION_VERSION=v3.1.2   # github.com/distribution/distribution/v3/cmd/registry
GGCR_VERSION=v0.22.1          # github.com/google/go-containerregistry/cmd/registry
ORAS_VERSION=v1.3.6           # oras.land/oras/cmd/oras
COSIGN2_VERSION=v2.6.5        # github.com/sigstore/cosign/v2/cmd/cosign
COSIGN3_VERSION=v3.1.3        # github.com/sigstore/cosign/v3/cmd/cosign (needs Go 1.26)
WKG_VERSION=0.16.1            # crates.io wkg
PROMTOOL_VERSION=v0.316.0     # github.com/prometheus/prometheus/cmd/promtool (Prometheus 3.x; ~8 min cold)

TOOLS="${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}"

log() { echo "setup-registry-tools: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$TOOLS"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else die "need root to run: $*"; fi
}

# --- Go toolchain: the image's, else Debian's ----------------------------------------------------
if ! command -v go >/dev/null; then
  if [ -x /usr/local/go/bin/go ]; then
    PATH="/usr/local/go/bin:$PATH"
  else
    command -v apt-get >/dev/null || die "go is required (install Go 1.23+)"
    log "apt: installing golang-go"
    as_root apt-get update -qq >&2 || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go >&2 \
      || die "apt-get install golang-go failed"
  fi
fi

# --- Go module proxy -----------------------------------------------------------------------------
go_tool() { # <dir name> <binary> <package> <version>
  local dir="$TOOLS/go/$1-$4" bin="$2" pkg="$3" version="$4"
  if [ -x "$dir/$bin" ] && [ -f "$dir/.complete" ]; then return; fi
  command -v go >/dev/null || die "go is required to install $pkg@$version"
  log "go: installing $pkg@$version"
  rm -rf "$dir"
  mkdir -p "$dir"
  # From $TOOLS, so no go.mod of the project applies; -buildvcs=false: no VCS stamp to look for.
  (cd "$TOOLS" && GOBIN="$dir" GOFLAGS=-buildvcs=false go install "$pkg@$version" >&2) \
    || die "go install $pkg@$version failed"
  touch "$dir/.complete"
}
go_tool distribution-registry registry github.com/distribution/distribution/v3/cmd/registry "$DISTRIBUTION_VERSION"
go_tool ggcr-registry registry github.com/google/go-containerregistry/cmd/registry "$GGCR_VERSION"
go_tool oras oras oras.land/oras/cmd/oras "$ORAS_VERSION"
# Two cosigns, each in its own directory: the same binary name, different signature formats.
go_tool cosign2 cosign github.com/sigstore/cosign/v2/cmd/cosign "$COSIGN2_VERSION"
go_tool cosign3 cosign github.com/sigstore/cosign/v3/cmd/cosign "$COSIGN3_VERSION"
go_tool promtool promtool github.com/prometheus/prometheus/cmd/promtool "$PROMTOOL_VERSION"

# Go programs of this repository (src/test/NAME: its go.mod pins its dependencies), each built into
# $TOOLS/go/NAME-<hash of its sources>/BINARY; prints that path.
go_local() { # <name> <binary>
  local src dir hash
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/test/$1"
  hash=$(cat "$src"/go.mod "$src"/go.sum "$src"/main.go | sha256sum | cut -c1-16)
  dir="$TOOLS/go/$1-$hash"
  if [ ! -x "$dir/$2" ] || [ ! -f "$dir/.complete" ]; then
    log "go: building $1 ($src)"
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$src" && GOFLAGS=-buildvcs=false go build -o "$dir/$2" . >&2) || die "go build of $src failed"
    touch "$dir/.complete"
  fi
  echo "$dir/$2"
}
# A registry with the OCI referrers API (go-containerregistry's, with that API switched on).
REFERRERS_REGISTRY="$(go_local referrers-registry registry)"
# The deployment files' check: BuildKit's Dockerfile frontend and k8s.io/api's strict decoding.
DEPLOY_CHECK="$(go_local deploy-check deploy-check)"

# --- crates.io: wkg -------------------------------------------------------------------------------
WKG_DIR="$TOOLS/cargo-wkg-$WKG_VERSION"
if ! "$WKG_DIR/bin/wkg" --version 2>/dev/null | grep -qF "$WKG_VERSION"; then
  command -v cargo >/dev/null || die "cargo is required to install wkg"
  log "cargo: installing wkg@$WKG_VERSION (several minutes)"
  # From $TOOLS, so no project rust-toolchain.toml applies.
  (cd "$TOOLS" && cargo install --quiet --locked --root "$WKG_DIR" "wkg@$WKG_VERSION" >&2) \
    || die "cargo install wkg@$WKG_VERSION failed"
fi

log "ok (tools in $TOOLS)"
emit() { printf '%s=%q\n' "$1" "$2"; }
emit DISTRIBUTION_REGISTRY "$TOOLS/go/distribution-registry-$DISTRIBUTION_VERSION/registry"
emit GGCR_REGISTRY "$TOOLS/go/ggcr-registry-$GGCR_VERSION/registry"
emit ORAS "$TOOLS/go/oras-$ORAS_VERSION/oras"
emit WKG "$WKG_DIR/bin/wkg"
emit COSIGN2 "$TOOLS/go/cosign2-$COSIGN2_VERSION/cosign"
emit COSIGN3 "$TOOLS/go/cosign3-$COSIGN3_VERSION/cosign"
emit REFERRERS_REGISTRY "$REFERRERS_REGISTRY"
emit PROMTOOL "$TOOLS/go/promtool-$PROMTOOL_VERSION/promtool"
emit DEPLOY_CHECK "$DEPLOY_CHECK"

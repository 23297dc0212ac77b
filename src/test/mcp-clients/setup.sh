#!/usr/bin/env bash
# Installs the MCP clients pinned by package.json / package-lock.json in this directory
# (@modelcontextprotocol/sdk for stdio-client.mjs, @modelcontextprotocol/conformance for the
# conformance suite) into ${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}/mcp-clients, outside
# the repo. Idempotent: a stamp (hash of package*.json + node version) skips `npm ci` when nothing
# changed. Progress goes to stderr; stdout gets the install directory, for
# `dir="$(src/test/mcp-clients/setup.sh)"`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS="${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}"
DIR="$TOOLS/mcp-clients"

log() { echo "mcp-clients setup: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are required (Node 20.18+)"
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || die "Node 20.18+ is required, found $(node --version)"

want_stamp="$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -c1-16) node-$(node --version)"
if [ "$(cat "$DIR/.stamp" 2>/dev/null)" != "$want_stamp" ] \
    || [ ! -f "$DIR/node_modules/@modelcontextprotocol/sdk/package.json" ] \
    || [ ! -f "$DIR/node_modules/@modelcontextprotocol/conformance/package.json" ]; then
  log "npm ci into $DIR"
  mkdir -p "$DIR"
  rm -f "$DIR/.stamp"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$DIR/"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci in $DIR failed"
  echo "$want_stamp" > "$DIR/.stamp"
fi
for pkg in sdk conformance; do
  want="$(node -p "require('$HERE/package.json').dependencies['@modelcontextprotocol/$pkg']")"
  got="$(node -p "require('$DIR/node_modules/@modelcontextprotocol/$pkg/package.json').version")"
  [ "$got" = "$want" ] || die "@modelcontextprotocol/$pkg is $got in $DIR, expected $want"
done
echo "$DIR"

#!/usr/bin/env bash
# Installs the Python MCP SDK (PyPI `mcp`, pinned with everything it needs in requirements.lock) into
# a virtual environment at ${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}/mcp-python, outside the
# repo. Idempotent: a stamp (hash of requirements.lock + the Python version) skips the install when
# nothing changed. Progress goes to stderr; stdout gets the environment's python, for
# `python="$(src/test/mcp-clients/python/setup.sh)"`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS="${WASSETTE_TOOLS_DIR:-$HOME/.cache/wassette/tools}"
DIR="$TOOLS/mcp-python"

log() { echo "mcp-python setup: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v python3 >/dev/null || die "python3 (3.10+) is required"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || die "Python 3.10+ is required, found $(python3 --version)"

want_stamp="$(sha256sum < "$HERE/requirements.lock" | cut -c1-16) $(python3 --version)"
if [ "$(cat "$DIR/.stamp" 2>/dev/null)" != "$want_stamp" ] || [ ! -x "$DIR/bin/python" ]; then
  log "pip install into $DIR"
  rm -rf "$DIR"
  python3 -m venv "$DIR" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$DIR/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$HERE/requirements.lock" >&2 || die "pip install in $DIR failed"
  echo "$want_stamp" > "$DIR/.stamp"
fi
"$DIR/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("mcp") == sys.argv[1] else 1)' \
  "$(sed -n 's/^mcp==//p' "$HERE/requirements.lock")" || die "the mcp package in $DIR is not the pinned version"
echo "$DIR/bin/python"

#!/usr/bin/env bash
# Fails the build when the committed bindings are stale against their inputs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
native_dir="$("$root/native/build.sh")"
recorded="$(cat "$root/src/main/generated/dev/wassette/ffi/INPUTS.sha256" 2>/dev/null || echo none)"
actual="$("$here/inputs-hash.sh" "$native_dir/include")"
if [ "$recorded" != "$actual" ]; then
  echo "The Panama bindings in src/main/generated/dev/wassette/ffi are stale (inputs hash $actual, recorded $recorded)." >&2
  echo "Run: JEXTRACT=/path/to/jextract jextract/regenerate.sh" >&2
  exit 1
fi

#!/usr/bin/env bash
# Prints the hash of everything the generated bindings depend on: the jextract inputs in this
# directory and the C headers they read (HEADERS_DIR: the native build's include directory).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
headers="${1:?usage: inputs-hash.sh HEADERS_DIR}"
{
  (cd "$here" && sha256sum includes.txt wassette_api.h wasmtime-conf.h regenerate.sh)
  (cd "$headers" && find . -name '*.h' -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
} | sha256sum | cut -d' ' -f1

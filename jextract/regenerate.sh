#!/usr/bin/env bash
# Regenerates the Panama bindings in src/main/generated/dev/wassette/ffi from the headers of the
# native build (Wasmtime's C API with its generated conf.h, plus native/include/wassette.h).
# Needs $JEXTRACT: a jextract for JDK 22+ (not shipped with this project; build it yourself).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
: "${JEXTRACT:?set JEXTRACT to a jextract executable}"

native_dir="$("$root/native/build.sh")"
headers="$native_dir/include"
if ! diff -q "$here/wasmtime-conf.h" "$headers/wasmtime/conf.h" >/dev/null; then
  echo "jextract/wasmtime-conf.h differs from the native build's conf.h: the Cargo features changed." >&2
  echo "Review the difference, then copy $headers/wasmtime/conf.h over jextract/wasmtime-conf.h." >&2
  exit 1
fi

out="$root/src/main/generated"
pkg_dir="$out/dev/wassette/ffi"
rm -rf "$pkg_dir"
"$JEXTRACT" \
  --target-package dev.wassette.ffi \
  --header-class-name Wasmtime \
  --output "$out" \
  -I "$headers" \
  @"$here/includes.txt" \
  "$here/wassette_api.h"
"$here/inputs-hash.sh" "$headers" > "$pkg_dir/INPUTS.sha256"
echo "bindings regenerated: $(find "$pkg_dir" -name '*.java' | wc -l) files" >&2

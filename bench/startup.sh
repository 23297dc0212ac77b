#!/usr/bin/env bash
# Cold start of `wassette run` to the first tools/list with N stored components (not JMH).
#
#   bench/startup.sh [js|small] [RUNS] [SERVER_JAR...]
#
# js: 10 copies of the 12 MB JavaScript fixture (fetch.wasm) with distinct export names;
# small: 10 copies of the 30 KB C fixture (types.wasm). The store is prepared once (with the CLI of
# this checkout: `component load`, which also precompiles) under bench/target/startup/, then reused.
# SERVER_JARs (default: target/wassette.jar of this checkout) are the servers measured, run by run
# in turn, so an older build can be compared on the same store. Needs target/fixtures (run the
# tests once).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
. "$ROOT/scripts/java-home.sh"
kind="${1:-js}"
runs="${2:-5}"
shift $(( $# < 2 ? $# : 2 ))
jars=("$@")
[[ ${#jars[@]} -gt 0 ]] || jars=("$ROOT/target/wassette.jar")
n=10

"$ROOT/wassette" --version >/dev/null # builds target/wassette.jar when stale
work="$BENCH_DIR/target/startup/$kind"
store="$work/components"
if [[ ! -f "$work/prepared" ]]; then
  rm -rf "$work"
  echo "== preparing $n $kind components in $store (once; JavaScript components compile for minutes)"
  "$JAVA_HOME/bin/java" -cp "$ROOT/target/wassette.jar" "$BENCH_DIR/ColdStart.java" prepare "$kind" "$n" "$ROOT/target/fixtures" "$work/variants"
  for f in "$work/variants"/*.wasm; do
    "$ROOT/wassette" component load "$f" --component-dir "$store" >/dev/null
  done
  touch "$work/prepared"
fi
echo "== $kind x $n, $runs runs each, $(nproc) cores, $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
exec "$JAVA_HOME/bin/java" -cp "$ROOT/target/wassette.jar" "$BENCH_DIR/ColdStart.java" measure "$runs" "$store" "$(IFS=,; echo "${jars[*]}")" "$kind" "$n"

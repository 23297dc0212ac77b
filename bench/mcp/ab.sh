#!/usr/bin/env bash
# Before/after on this noisy machine: runs the side-by-side harness on two checkouts alternately,
# N times each, one round per run, and prints this server's summary line of each run.
#
#   bench/mcp/ab.sh BEFORE_DIR AFTER_DIR N SCENARIOS [TAG]
#   e.g. git worktree add /tmp/before main && bench/mcp/ab.sh /tmp/before . 4 stdio,stdiod
#
# Each run's full output and JSON go to bench/target/mcp/ab-TAG-{before,after}-I.{txt,json}, with
# each measured call's latency (MCPBENCH_TRACE) in …-I.trace. WASSETTE_JAVA_OPTS and the rest of the
# environment are passed on to both.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 4 ]] || { sed -n '2,10p' "${BASH_SOURCE[0]}" >&2; exit 2; }
before="$(cd "$1" && pwd)"; after="$(cd "$2" && pwd)"; n="$3"; only="$4"; tag="${5:-ab}"
out="$HERE/../target/mcp"
mkdir -p "$out"
for ((i = 1; i <= n; i++)); do
  for side in before after; do
    dir="$before"; [[ $side == after ]] && dir="$after"
    base="$out/ab-$tag-$side-$i"
    rm -f "$base.trace"
    MCPBENCH_TRACE="$base.trace" "$HERE/run.sh" --checkout "$dir" --rounds 1 --only "$only" --out "$base.json" > "$base.txt" 2>&1 \
      || echo "$side $i: the run failed, see $base.txt" >&2
    echo "$side $i: $(grep '^round.* this ' "$base.txt" | sed 's/.*\.\.\. //' | tr '\n' ' ')"
  done
done

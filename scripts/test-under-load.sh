#!/usr/bin/env bash
# Runs the whole suite (scripts/test.sh) ROUNDS times in a row under CPU contention: one busy loop
# per CPU runs beside it the whole time, so every test that waits for an asynchronous event meets
# a starved machine. Stops at the first failing round, whose log it names.
#   scripts/test-under-load.sh [ROUNDS] [-- MAVEN ARGS]      (default 5 rounds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-5}"
shift || true
[ "${1:-}" = "--" ] && shift
hogs=()
cleanup() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq "$(nproc)"); do
  (while :; do :; done) &
  hogs+=($!)
done
logs="$root/target/under-load"
mkdir -p "$logs"
for round in $(seq "$rounds"); do
  start=$(date +%s)
  if "$root/scripts/test.sh" "$@" > "$logs/round-$round.log" 2>&1; then
    echo "round $round/$rounds: passed in $(( $(date +%s) - start )) s"
  else
    echo "round $round/$rounds: FAILED after $(( $(date +%s) - start )) s; see $logs/round-$round.log" >&2
    grep -E "Tests run:.*(Failures: [1-9]|Errors: [1-9])|<<< (FAILURE|ERROR)" "$logs/round-$round.log" | head -20 >&2 || true
    exit 1
  fi
done
echo "all $rounds rounds passed under $(nproc) busy loops"

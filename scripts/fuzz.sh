#!/usr/bin/env bash
# Fuzzes one target for a long run (the build fuzzes each for 10 s):
#   scripts/fuzz.sh TARGET [DURATION]     e.g. scripts/fuzz.sh ToolArgumentsFuzzTest 1h
# TARGET is a class of src/test/java/dev/wassette/fuzz, or Class#method. New coverage accumulates in
# .cifuzz-corpus/ (kept between runs, not committed); a finding is written as a crash-* file under
# src/test/resources/dev/wassette/fuzz/, where every later `mvn verify` replays it: fix the code,
# then commit the file as the regression test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/java-home.sh"
cd "$root"
target="${1:?usage: scripts/fuzz.sh TARGET [DURATION]}"
duration="${2:-10m}"
mvn -B -ntp -q test-compile
JAZZER_FUZZ=1 exec mvn -B -ntp surefire:test -Dtest="$target" -Djazzer.max_duration="$duration" \
  '-Djazzer.instrumentation_includes=dev.wassette.**:com.fasterxml.jackson.**:org.snakeyaml.**:io.modelcontextprotocol.**'

#!/usr/bin/env bash
# Runs the whole test suite: builds (or reuses) the native library, builds the test components from
# source (installing their toolchains when missing), then `mvn verify`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/java-home.sh"
cd "$root"
exec mvn -B -ntp verify "$@"

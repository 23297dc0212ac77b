#!/usr/bin/env bash
# Side-by-side MCP harness: this server (`wassette run` / `wassette serve` of a checkout) against the
# upstream Rust Wassette 0.8.0 binary, alternately, with one Go client. See bench/README.md,
# "Side by side with Wassette 0.8.0".
#
#   bench/mcp/run.sh [--quick] [--checkout DIR] [--rounds N] [--only LIST] [--out FILE] [more client flags]
#
#   --quick          one round, shorter HTTP windows: a sanity run in a few minutes
#   --checkout DIR   the checkout whose ./wassette is measured (default: this one), e.g. /work/main
#   --only LIST      comma-separated scenarios: stdio,stdiod,cold,coldjs,coldr,coldrjs,coldd,colddjs,http,warm,warmjs,sessions4 (default: all)
#   --prepare-only   build and prepare the stores, measure nothing
#   --reprepare      prepare the stores of 10 JS components again
#
# Needs: JDK 25, Go, the fixtures (target/fixtures of the measured checkout, or built here), and
# ../shared/peer/setup-wassette.sh (override with WASSETTE_UPSTREAM=/path/to/wassette).
# The first run prepares two stores of 10 JavaScript components (12 MB each) under
# bench/target/mcp/stores/ — upstream compiles each for ~50 s, so about 10 minutes, once.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
. "$ROOT/scripts/java-home.sh"

checkout="$ROOT"
prepare_only=0
reprepare=0
only=""
pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --checkout) checkout="$(cd "$2" && pwd)"; shift 2 ;;
    --prepare-only) prepare_only=1; shift ;;
    --reprepare) reprepare=1; shift ;;
    --only|-only) only="$2"; pass+=("$1" "$2"); shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
# the stores of JS components are only needed by coldjs, coldrjs, colddjs and warmjs (and by --prepare-only)
need_js=1
[[ -n "$only" && ",$only," != *,coldjs,* && ",$only," != *,colddjs,* && ",$only," != *,coldrjs,* && ",$only," != *,warmjs,* \
  && $prepare_only == 0 ]] && need_js=0

work="$ROOT/bench/target/mcp"
mkdir -p "$work"

# 1. The client, built outside the clone (the Go build cache and module cache are the user's).
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/wassette-bench"
client="$bin_dir/mcpbench"
if [[ ! -x "$client" || -n "$(find "$HERE/client" -newer "$client" -type f -print -quit)" ]]; then
  echo "== building the Go client into $client" >&2
  mkdir -p "$bin_dir"
  (cd "$HERE/client" && go build -trimpath -o "$client" .)
fi

# 2. The servers.
this_cmd="$checkout/wassette"
"$this_cmd" --version >/dev/null   # builds target/wassette.jar of that checkout when stale
# After a start without its JVM AOT cache the launcher records one in the background (a JVM at
# nice 10 for a minute or so). Let it finish (2 minutes at most), so that it takes no CPU from the
# measurements and the sessions measured start with the cache, as a user's do.
aot_dir="${XDG_CACHE_HOME:-$HOME/.cache}/wassette/jvm"
for ((i = 0; i < 120; i++)); do
  compgen -G "$aot_dir/*.lock" >/dev/null || break
  ((i == 0)) && echo "== waiting for the JVM AOT cache being recorded in $aot_dir" >&2
  sleep 1
done
upstream="${WASSETTE_UPSTREAM:-}"
if [[ -z "$upstream" ]]; then
  setup="$ROOT/../shared/peer/setup-wassette.sh"
  [[ -x "$setup" ]] || setup=/work/shared/peer/setup-wassette.sh
  upstream="$("$setup")"
fi
"$upstream" --version | grep -q '^0\.8\.0' || echo "warning: $upstream is not 0.8.0: $("$upstream" --version | head -1)" >&2

# 3. Fixtures: types.wasm (the trivial tool `add`) and fetch.wasm (the JS component).
fixtures="$checkout/target/fixtures"
if [[ ! -f "$fixtures/types.wasm" || ! -f "$fixtures/fetch.wasm" ]]; then
  fixtures="$ROOT/target/fixtures"
  [[ -f "$fixtures/fetch.wasm" ]] || "$ROOT/src/test/fixtures/build.sh" "$fixtures" >&2
fi

# 4. Stores of 10 JS components, one per server, prepared once. The variants (distinct export names)
#    come from bench/ColdStart.java's `prepare`, as bench/startup.sh makes them. This server's store
#    is keyed by checkout and commit (the store format may change between commits) and the variants;
#    upstream's by the variants.
js_stores=()
if [[ $need_js == 1 ]]; then
  variants="$work/js-variants"
  # written again when the fixture or the renaming changes; the stores made from them with them
  variants_key="$(cat "$ROOT/bench/ColdStart.java" "$fixtures/fetch.wasm" | sha256sum | cut -c1-12)"
  if [[ "$(cat "$variants/prepared" 2>/dev/null)" != "$variants_key" ]]; then
    echo "== writing 10 JS component variants to $variants" >&2
    rm -rf "$variants"
    "$JAVA_HOME/bin/java" -cp "$checkout/target/wassette.jar" "$ROOT/bench/ColdStart.java" prepare js 10 "$fixtures" "$variants"
    echo "$variants_key" > "$variants/prepared"
  fi
  # the last commit that changed the server's code: a new store when the store format may have changed
  rev="$(git -C "$checkout" log -1 --format=%h -- src/main pom.xml 2>/dev/null || true)"
  rev="${rev:-norev}"
  this_store="$work/stores/this-$(echo "$checkout" | tr '/' '_')-$rev-$variants_key"
  up_store="$work/stores/upstream-0.8.0-$variants_key"
  prepare_store() { # name dir loader...
    local name="$1" dir="$2"; shift 2
    [[ -f "$dir/prepared" && $reprepare == 0 ]] && return 0
    echo "== preparing $name's store of 10 JS components in $dir (once; minutes)" >&2
    rm -rf "$dir"; mkdir -p "$dir/state"
    for f in "$variants"/*.wasm; do
      XDG_DATA_HOME="$dir/state" XDG_CONFIG_HOME="$dir/state" "$@" "$f" >/dev/null 2>>"$dir/prepare.log"
    done
    touch "$dir/prepared"
  }
  load_this() { "$this_cmd" component load "$1" --component-dir "$this_store/components"; }
  load_upstream() { "$upstream" component load "file://$1" --component-dir "$up_store/components"; }
  prepare_store this "$this_store" load_this
  prepare_store upstream "$up_store" load_upstream
  js_stores=(-this-js-store "$this_store/components" -upstream-js-store "$up_store/components")
fi
[[ $prepare_only == 1 ]] && exit 0

# 5. Measure.
exec "$client" \
  -this "$this_cmd" -upstream "$upstream" \
  -trivial "$fixtures/types.wasm" \
  "${js_stores[@]}" \
  -out "$work/result-$(date -u +%Y%m%dT%H%M%SZ).json" \
  "${pass[@]}"

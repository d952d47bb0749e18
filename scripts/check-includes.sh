#!/usr/bin/env bash
# Include-direction check: every #include "room/..." in a room's sources must point down the declared order
# (docs/architecture.md). Fails, listing file:line, on an include that points up or sideways.
set -euo pipefail
cd "$(dirname "$0")/.."

# room -> the rooms it may include (besides itself). Order, bottom up:
#   core; formats, quant, passes; readers, writers; models, runtime; validators; pipeline; cli, bench.
declare -A allowed=(
  [core]=""
  [formats]="core"
  [quant]="core"
  [passes]="core"
  [readers]="formats quant core"
  [writers]="formats quant core"
  [models]="readers formats core"
  [runtime]="quant formats core"
  [validators]="runtime readers formats core"
  [pipeline]="validators runtime models writers readers passes quant formats core"
  [cli]="pipeline validators runtime models writers readers passes quant formats core"
  [bench]="pipeline validators runtime models writers readers passes quant formats core tests"
)
# bench/ may use the tests' header-only input builders (tests/readers/media_encode_util.h): one copy of each.
# validators drive the runtime through the Session interface only.
declare -A only_headers=(
  [validators:runtime]="runtime/session.h"
)

failures=0
for room in "${!allowed[@]}"; do
  [ -d "$room" ] || continue
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    [[ $rest =~ \#[[:space:]]*include[[:space:]]+\"([^\"]+)\" ]] || continue
    header=${BASH_REMATCH[1]}
    target=${header%%/*}
    [ "$target" = "$header" ] && continue  # not a room path
    [ "$target" = "$room" ] && continue
    [ -n "${allowed[$target]+x}" ] || [ -d "$target" ] || continue  # a system or generated header
    if [[ " ${allowed[$room]} " != *" $target "* ]]; then
      echo "$file:$line: $room/ may not include $header (allowed: ${allowed[$room]:-nothing})"
      failures=$((failures + 1))
      continue
    fi
    only=${only_headers[$room:$target]:-}
    if [ -n "$only" ] && [[ " $only " != *" $header "* ]]; then
      echo "$file:$line: $room/ may include only $only from $target/, not $header"
      failures=$((failures + 1))
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_0-9]+/' "$room" --include='*.h' --include='*.cpp' --include='*.cc' || true)
done

# Rooms that must not exist unchecked: every top-level folder with a CMakeLists.txt is a declared room.
for dir in */; do
  dir=${dir%/}
  case $dir in build* | tests | scripts | docs | fixtures) continue ;; esac
  if [ -f "$dir/CMakeLists.txt" ] && [ -z "${allowed[$dir]+x}" ]; then
    echo "$dir/: a room with no declared place in scripts/check-includes.sh"
    failures=$((failures + 1))
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "check-includes: $failures include(s) against the declared order"
  exit 1
fi
echo "check-includes: every include points down the declared order"

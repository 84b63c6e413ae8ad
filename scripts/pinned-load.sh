#!/usr/bin/env bash
# The unit suites pinned to one core beside three busy loops on that core
# (issue 7: tests run on clocks they control, so host load cannot fail them).
#   scripts/pinned-load.sh [BUILD_DIR] [RUNS]     (defaults: build, 5)
# Prints each run's result and wall time, then "N of RUNS runs passed";
# exits 1 unless every run passed. meson's own watchdog (a wall-clock limit
# per test executable, not an assertion) is stretched 10x for the load.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
[[ -f $build/build.ninja ]] || { echo "pinned-load: no build in $build (meson setup $build && ninja -C $build)" >&2; exit 2; }
ninja -C "$build" >/dev/null
busy=()
cleanup() { ((${#busy[@]})) && kill "${busy[@]}" 2>/dev/null; true; }
trap cleanup EXIT
for _ in 1 2 3; do taskset -c 0 sh -c 'while :; do :; done' & busy+=($!); done
passed=0
for ((i = 1; i <= runs; i++)); do
  start=$(date +%s)
  if taskset -c 0 meson test -C "$build" --suite unit --no-rebuild --num-processes 1 \
       --timeout-multiplier 10 >"$build/pinned-load-$i.log" 2>&1; then
    result=passed; passed=$((passed + 1))
  else
    result=FAILED; grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT)' "$build/pinned-load-$i.log" || true
  fi
  echo "run $i: $result in $(( $(date +%s) - start )) s (pinned to CPU 0 beside 3 busy loops; log $build/pinned-load-$i.log)"
done
echo "$passed of $runs runs passed"
((passed == runs))

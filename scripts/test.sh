#!/usr/bin/env bash
# The full test run: dependencies, a normal build and its tests, the MQTT
# suite against a real mosquitto, the installed library with examples/, the
# Raspberry Pi cross builds (aarch64, armhf) with their unit suites and one
# journey each under qemu-user, an ASan+UBSan build and its tests, the
# Debian packages of all three architectures (the amd64 ones installed, run
# and purged), the real-kernel suite under qemu, and a short deterministic
# fuzz run.
# Prints each stage's wall time and ends with "N passed, N failed, N skipped"
# (scripts/count_tests.py says what counts as skipped). Under CI=true a test
# that needs ../shared fails when it is missing (tests/support/shared_dir.hpp).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
stage() { printf '\n== %s\n' "$1"; stage_start=$(date +%s); }
stage_end() { echo "== $1 took $(( $(date +%s) - stage_start )) s"; }

stage deps; scripts/deps.sh --test; stage_end deps

passed=0; failed=0; skipped=0
count() {  # doctest cases (and other tests) from meson's testlog.json
  local p f s
  read -r p f s < <(python3 scripts/count_tests.py "$1/meson-logs/testlog.json")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

rc=0
stage "build (debugoptimized)"
[[ -d build ]] || meson setup build >/dev/null
ninja -C build -j"$jobs"
stage_end build

stage "tests (debugoptimized)"
meson test -C build --suite unit --print-errorlogs || rc=1
before=$passed
count build
native_unit_passed=$((passed - before))
stage_end tests

# `bandwire record` publishing to a real mosquitto on 127.0.0.1 (README
# "Publishing to MQTT"): broker restarts, a SIGKILLed recorder, an overflow,
# a password, TLS; real time, about 80 s. CI=true makes a missing broker a failure.
stage "mqtt (real broker)"
if meson test -C build --suite mqtt --print-errorlogs --verbose >build/mqtt-suite.log 2>&1; then
  grep -E 'MESSAGE: mqtt|^ *[0-9]+/[0-9]+ ' build/mqtt-suite.log | sed 's/.*MESSAGE: //' | sort -u
else
  tail -80 build/mqtt-suite.log; rc=1
fi
count build
stage_end "mqtt suite"

# The installed library: headers, bandwire.pc, shared + static linking, and
# examples/ built and run through pkg-config only.
stage "install check + examples"
if bash scripts/install-check.sh build; then passed=$((passed + 1)); else failed=$((failed + 1)); rc=1; fi
stage_end "install check"

# Cross builds for Raspberry Pi boards (README "Raspberry Pi / ARM"), static
# and without an ASan variant. Each ARM unit suite and journey runs under
# qemu-user in the background while the next stage builds; its output and
# time are printed when it is joined. It must pass as many cases as amd64.
cross_bg() {  # ARCH: tests + journey under qemu, in the background
  ( s=$(date +%s); rc_bg=0
    scripts/cross.sh "$1" test journey >"build-$1-qemu.log" 2>&1 || rc_bg=1
    echo "$rc_bg $(( $(date +%s) - s ))" >"build-$1-qemu.status" ) &
  cross_pid[$1]=$!
}
cross_join() {  # ARCH
  local start=$(date +%s) st secs p f s
  wait "${cross_pid[$1]}" || true
  printf '\n== tests %s (qemu)\n' "$1"
  cat "build-$1-qemu.log"
  read -r st secs <"build-$1-qemu.status" || { st=1 secs=?; }
  ((st == 0)) || rc=1
  read -r p f s < <(python3 scripts/count_tests.py "build-$1/meson-logs/testlog.json")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if ((p != native_unit_passed)); then
    echo "tests $1: $p cases passed under qemu, $native_unit_passed on amd64: FAILED"
    failed=$((failed + 1)); rc=1
  fi
  echo "== tests $1 (qemu) took $secs s in the background (waited $(( $(date +%s) - start )) s for it)"
}
declare -A cross_pid

stage "cross build aarch64"
JOBS=$jobs scripts/cross.sh aarch64 build || rc=1
stage_end "cross build aarch64"
cross_bg aarch64

stage "cross build armhf"
JOBS=$jobs scripts/cross.sh armhf build || rc=1
stage_end "cross build armhf"
cross_join aarch64
cross_bg armhf

stage "build (ASan+UBSan)"
[[ -d build-asan ]] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null
ninja -C build-asan -j"$jobs"
stage_end "build asan"

stage "tests (ASan+UBSan)"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
  meson test -C build-asan --suite unit --print-errorlogs || rc=1
count build-asan
stage_end "tests asan"
cross_join armhf

# Debian packages (README "Debian packages"), from the build dirs above: the
# amd64 ones compared with packaging/expected/, installed, run, used by an
# example and purged; arm64 and armhf built from the cross build dirs and
# compared. Each check counts (scripts/package-test.sh prints the tally).
stage "packages"
scripts/package-test.sh amd64 arm64 armhf 2>&1 | tee build-packages.log || rc=1
pkg_p='' pkg_f=''
read -r pkg_p pkg_f < <(sed -n 's/^package-test: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' build-packages.log) || true
if [[ -n $pkg_p ]]; then
  passed=$((passed + pkg_p)); failed=$((failed + pkg_f))
else
  echo "packages: no summary line from scripts/package-test.sh: FAILED"; failed=$((failed + 1)); rc=1
fi
stage_end packages

# Debian's kernel under qemu with two virtual LE controllers (README
# "Real-kernel suite"); downloads are cached, so a rerun needs no network.
stage "real-kernel suite (qemu)"
meson test -C build --suite kernel --print-errorlogs --verbose || rc=1
count build
stage_end "kernel suite"

stage "fuzz (libFuzzer, fixed seed and run count)"
[[ -d build-fuzz ]] || CXX=clang++ meson setup build-fuzz -Dfuzz=true -Dtests=false \
  -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-fuzz -j"$jobs"
for f in build-fuzz/fuzz/fuzz_*; do
  [[ -x $f && ! -d $f ]] || continue
  name=$(basename "$f")
  # Inputs that once crashed a target stay as regression tests.
  regressions=(fuzz/regressions/"${name#fuzz_}"-*)
  if [[ -e ${regressions[0]} ]] && ! "$f" "${regressions[@]}" >"build-fuzz/$name.regressions.log" 2>&1; then
    echo "fuzz: $name regression FAILED"; tail -30 "build-fuzz/$name.regressions.log"; failed=$((failed + 1)); rc=1
  fi
  if "$f" -seed=1 -runs="${FUZZ_RUNS:-200000}" -max_len=600 >"build-fuzz/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -o 'Done [0-9]* runs' "build-fuzz/$name.log" || echo done))"
    passed=$((passed + 1))
  else
    echo "fuzz: $name FAILED"; tail -30 "build-fuzz/$name.log"; failed=$((failed + 1)); rc=1
  fi
done
stage_end fuzz

echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc

#!/usr/bin/env bash
# Raspberry Pi cross builds, tested under qemu-user (README "Raspberry Pi / ARM").
#
#   cross.sh ARCH [STEP...]     ARCH = aarch64 | armhf
#
# Steps (default: build test journey):
#   build    sysroot (scripts/cross-sysroot.sh), meson setup build-ARCH with
#            cross/ARCH.ini and -Dstatic_exe=true, ninja; strips a copy of
#            bandwire to build-ARCH/bandwire-stripped and prints its size
#   test     the unit suites under qemu (meson's exe_wrapper); prints
#            "N passed, N failed" (scripts/count_tests.py)
#   journey  the stripped static executable end to end under qemu:
#            `sim --listen` + `pair` + `stream --duration 10` over a unix
#            socket, records counted (scripts/cross-journey.sh); prints its
#            size, its heap peak while streaming (measured inside the program)
#            and the emulated CPU time
# Exit status: non-zero when a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: cross.sh aarch64|armhf [build|test|journey]...}
shift
steps=("$@")
((${#steps[@]})) || steps=(build test journey)
case $arch in
  aarch64) triple=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
  armhf) triple=arm-linux-gnueabihf qemu=qemu-arm-static ;;
  *) echo "cross: unknown ARCH '$arch' (aarch64 or armhf)" >&2; exit 2 ;;
esac
build=build-$arch
jobs=${JOBS:-$(nproc)}
export QEMU_LD_PREFIX=/usr/$triple
exe=$build/tools/bandwire

step_build() {
  local sysroot
  # (set -e is off inside a step: each command checks its own status)
  sysroot=$(scripts/cross-sysroot.sh "$arch") || return 1
  # Meson machine files cannot hold paths relative to the source tree, so
  # the sysroot's absolute path comes from this generated file.
  # ccache only when the machine has it.
  local ccache="[]"
  command -v ccache >/dev/null && ccache="['ccache']"
  printf "[constants]\nsysroot = '%s'\nccache = %s\n" "$sysroot" "$ccache" >"$sysroot/paths.ini"
  if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" --cross-file "$sysroot/paths.ini" --cross-file "cross/$arch.ini" \
      -Dstatic_exe=true -Dbuildtype=debugoptimized >"$build-setup.log" 2>&1 ||
      { cat "$build-setup.log"; return 1; }
  fi
  ninja -C "$build" -j"$jobs" || return 1
  $triple-strip -o "$build/bandwire-stripped" "$exe" || return 1
  echo "cross $arch: $(file -b "$exe")"
  echo "cross $arch: stripped bandwire $(stat -c %s "$build/bandwire-stripped") bytes"
}

step_test() {
  local rc=0
  rm -f "$build/meson-logs/testlog.json"  # no stale counts from an earlier run
  meson test -C "$build" --suite unit --print-errorlogs --no-rebuild || rc=1
  read -r p f s < <(python3 scripts/count_tests.py "$build/meson-logs/testlog.json")
  echo "cross $arch tests: $p passed, $f failed"
  return $rc
}

step_journey() { scripts/cross-journey.sh --measure "$qemu" "$build/bandwire-stripped"; }

rc=0
for s in "${steps[@]}"; do
  case $s in
    build | test | journey) "step_$s" || rc=1 ;;
    *) echo "cross: unknown step '$s'" >&2; exit 2 ;;
  esac
done
exit $rc

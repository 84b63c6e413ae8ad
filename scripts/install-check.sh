#!/usr/bin/env bash
# Checks what `meson install` ships, as a user of the installed library sees
# it: stages the install of an existing build dir (default: build) with
# --destdir, then, using only `pkg-config ... bandwire` for flags,
#   * finds libbandwire.a, libbandwire.so with SONAME libbandwire.so.0, every
#     public header under include/bandwire/<folder>/ and bandwire.pc with the
#     Asio macros, bluez and mbedcrypto;
#   * compiles every installed header alone as #include <bandwire/...>;
#   * builds tests/install/install_smoke.cpp against the shared library and
#     against the static archive (pkg-config --static) and runs both.
# Prints each check; exits non-zero on the first failure.
#   scripts/install-check.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${1:-build}
cxx=${CXX:-c++}
[[ -f $build/build.ninja ]] || { echo "install-check: $build is not a meson build dir (meson setup $build first)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage

ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }

# A sanitizer build's library needs the sanitizer runtime in the program too.
sanitize=$(meson introspect --buildoptions "$build" |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"))')
san_flags=()
[[ $sanitize != none ]] && san_flags=("-fsanitize=$sanitize")

echo "== meson install -C $build --destdir $stage"
nice -n 15 meson install -C "$build" --destdir "$stage" --quiet >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "meson install"; }

# ---- what was installed -------------------------------------------------
mapfile -t pcs < <(find "$stage" -name bandwire.pc)
((${#pcs[@]} == 1)) || fail "expected one bandwire.pc under the stage, found ${#pcs[@]}"
libdir=$(dirname "$(dirname "${pcs[0]}")")
includedir=$(find "$stage" -type d -path '*/include/bandwire' | head -1)
[[ -n $includedir ]] || fail "no include/bandwire directory installed"
ok "bandwire.pc at ${pcs[0]#"$stage"}, headers at ${includedir#"$stage"}"

[[ -f $libdir/libbandwire.a ]] || fail "no libbandwire.a in ${libdir#"$stage"}"
ok "static archive libbandwire.a"
real_so=$(readlink -f "$libdir/libbandwire.so" 2>/dev/null) || true
[[ -n $real_so && -f $real_so ]] || fail "no libbandwire.so in ${libdir#"$stage"}"
soname=$(readelf -d "$real_so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libbandwire.so.0 ]] || fail "SONAME of $(basename "$real_so") is '$soname', expected libbandwire.so.0"
[[ -e $libdir/$soname ]] || fail "no $soname link in ${libdir#"$stage"}"
ok "shared library $(basename "$real_so"), SONAME $soname, with the $soname link"

missing=0 expected=0
for folder in att common gatt hci miband; do
  for h in "$folder"/*.hpp; do
    expected=$((expected + 1))
    [[ -f $includedir/$h ]] || { echo "FAILED: $h not installed" >&2; missing=$((missing + 1)); }
  done
done
((missing == 0)) || fail "$missing public headers missing (reconfigure the build dir after adding a header)"
[[ ! -e $includedir/tools ]] || fail "tools/ headers installed: the CLI's headers are not public"
installed=$(find "$includedir" -name '*.hpp' | wc -l)
((installed == expected)) || fail "$installed headers installed, $expected expected"
ok "all $expected headers of att/ common/ gatt/ hci/ miband/ under include/bandwire/<folder>/, none of tools/"

# ---- bandwire.pc --------------------------------------------------------
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_SYSROOT_DIR=$stage
cflags=$(pkg-config --cflags bandwire)
libs=$(pkg-config --libs bandwire)
static_libs=$(pkg-config --static --libs bandwire)
echo "   pkg-config --cflags bandwire:          $cflags"
echo "   pkg-config --libs bandwire:            $libs"
echo "   pkg-config --static --libs bandwire:   $static_libs"
for macro in -DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_ASIO_NO_DEPRECATED; do
  [[ " $cflags " == *" $macro "* ]] || fail "Cflags lack $macro"
done
ok "Cflags carry -DBOOST_ASIO_SEPARATE_COMPILATION -DBOOST_ASIO_NO_DEPRECATED"
pkg-config --print-requires-private bandwire | grep -x 'bluez' >/dev/null || fail "Requires.private does not name bluez"
[[ " $static_libs " == *" -lmbedcrypto "* ]] || fail "Libs.private does not name -lmbedcrypto"
[[ " $static_libs " == *" -lbluetooth "* ]] || fail "static libs lack bluez's -lbluetooth"
ok "Requires.private: bluez; Libs.private: -lmbedcrypto"

# ---- every header alone, as a user includes it --------------------------
read -ra cflag_arr <<<"$cflags"
export cxx tmp
compile_one() {  # $1: att/pdu.hpp
  local tu=$tmp/hdr_${1//\//_}.cpp
  printf '#include <bandwire/%s>\n' "$1" >"$tu"
  if ! "$cxx" -std=c++20 -fsyntax-only "${@:2}" "$tu" 2>"$tu.err"; then
    echo "FAILED: <bandwire/$1> does not compile alone:" >&2; head -20 "$tu.err" >&2; return 1
  fi
}
export -f compile_one
(cd "$includedir" && find . -name '*.hpp' | sed 's|^\./||' | sort) |
  nice -n 15 xargs -P2 -I{} bash -c 'compile_one "$@"' _ {} "${cflag_arr[@]}" ||
  fail "installed headers that do not compile alone (above)"
ok "each of the $expected installed headers compiles alone as #include <bandwire/...> with only pkg-config's Cflags"

# ---- a program against the shared library and the static archive ---------
smoke=$root/tests/install/install_smoke.cpp
nice -n 15 "$cxx" -std=c++20 "${san_flags[@]}" "${cflag_arr[@]}" -c "$smoke" -o "$tmp/smoke.o" ||
  fail "install_smoke.cpp does not compile with pkg-config's Cflags"
# With BOOST_ASIO_SEPARATE_COMPILATION the program leaves Asio's
# implementation to the library's copy; without it, it would carry its own.
nm -C "$tmp/smoke.o" | grep ' U boost::asio::io_context::run()' >/dev/null ||
  fail "install_smoke.o defines Asio's implementation itself: Cflags do not configure Asio as the library was built"
ok "install_smoke.o takes Asio's implementation (io_context::run) from the library, as the Cflags' macros intend"
read -ra libs_arr <<<"$libs"
nice -n 15 "$cxx" "${san_flags[@]}" "$tmp/smoke.o" -o "$tmp/smoke_shared" "${libs_arr[@]}" ||
  fail "install_smoke does not link against the shared library"
readelf -d "$tmp/smoke_shared" | grep 'NEEDED.*\[libbandwire\.so\.0\]' >/dev/null || fail "smoke_shared does not need libbandwire.so.0"
ok "install_smoke built with \$(pkg-config --cflags --libs bandwire); it needs libbandwire.so.0"
echo "   running smoke_shared (LD_LIBRARY_PATH=${libdir#"$stage"} in the stage)"
LD_LIBRARY_PATH="$libdir" "$tmp/smoke_shared" | sed 's/^/   | /'
((PIPESTATUS[0] == 0)) || fail "smoke_shared"
ok "smoke_shared ran against the installed shared library"

# -lbandwire would pick the .so next to the archive; -l:libbandwire.a is the
# static archive, with everything else pkg-config --static names.
read -ra static_arr <<<"${static_libs//-lbandwire/-l:libbandwire.a}"
nice -n 15 "$cxx" "${san_flags[@]}" "$tmp/smoke.o" -o "$tmp/smoke_static" "${static_arr[@]}" ||
  fail "install_smoke does not link against the static archive"
! readelf -d "$tmp/smoke_static" | grep 'NEEDED.*libbandwire' >/dev/null || fail "smoke_static still needs libbandwire.so"
ok "install_smoke built with \$(pkg-config --static --libs bandwire) and libbandwire.a; no libbandwire.so needed"
"$tmp/smoke_static" | sed 's/^/   | /'
((PIPESTATUS[0] == 0)) || fail "smoke_static"
ok "smoke_static ran"

# examples/: the embedder programs, built with pkg-config only against the
# installed shared library, and run (README "Using the library").
export XDG_STATE_HOME=$tmp/state TMPDIR=$tmp
for ex in heart_rate_coro accel_callbacks embedder_test; do
  nice -n 15 "$cxx" -std=c++20 "${san_flags[@]}" "${cflag_arr[@]}" "$root/examples/$ex.cpp" -o "$tmp/$ex" "${libs_arr[@]}" ||
    fail "examples/$ex.cpp does not build against the installed library"
done
ok "examples/ built with \$(pkg-config --cflags --libs bandwire) only"
LD_LIBRARY_PATH="$libdir" "$tmp/heart_rate_coro" sim 4 >"$tmp/hr.out" 2>&1 || { cat "$tmp/hr.out"; fail "heart_rate_coro"; }
ok "heart_rate_coro: $(grep -c 'heart rate' "$tmp/hr.out") heart-rate lines in 4 s from the in-process band"
LD_LIBRARY_PATH="$libdir" "$tmp/accel_callbacks" 4 >"$tmp/acc.out" 2>&1 || { cat "$tmp/acc.out"; fail "accel_callbacks"; }
ok "accel_callbacks: $(tail -1 "$tmp/acc.out")"
LD_LIBRARY_PATH="$libdir" "$tmp/embedder_test" >"$tmp/emb.out" 2>&1 || { cat "$tmp/emb.out"; fail "embedder_test"; }
ok "embedder_test: $(grep 'test cases' "$tmp/emb.out")"

echo "install-check: all checks passed"

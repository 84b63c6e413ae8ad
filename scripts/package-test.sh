#!/usr/bin/env bash
# The "packages" stage of scripts/test.sh (README "Debian packages"):
#
#   package-test.sh [ARCH...]      default: amd64
#
# For each ARCH (amd64 | arm64 | armhf) builds the .debs from its existing
# build dir (scripts/package.sh; the ARM ones from scripts/cross.sh's
# build-aarch64/ and build-armhf/) and compares each with packaging/expected/
# (scripts/check-package.py); checks that bandwire.pc of every
# libbandwire-dev resolves with only what Debian installs; with more than one
# ARCH, that the Multi-Arch: same packages agree outside the libdir. Then the
# amd64 packages are installed with apt-get (this needs root and changes the
# system: it purges them again at the end, also when a check fails), and
#   * /usr/bin/bandwire --version and `stream --device sim --duration 3`
#     run from the package, records counted;
#   * the postinst gave the capabilities, or warned (its warning path is run
#     on its own with a setcap that fails, and without setcap);
#   * the man page covers every command; the systemd unit example's command
#     line runs (against --device sim) and systemd-analyze accepts the unit;
#   * examples/heart_rate_coro.cpp builds with pkg-config only against the
#     installed libbandwire-dev and runs on the installed libbandwire.so.0;
#   * apt-get purge leaves no file of the packages behind.
# Prints "ok: ..." or "FAILED: ..." per check and ends with
# "package-test: N passed, N failed"; exits non-zero when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
archs=("$@")
((${#archs[@]})) || archs=(amd64)
version=$(python3 - <<'PY'
import re
print(re.search(r"project\(.*?version\s*:\s*'([^']+)'", open("meson.build").read(), re.S).group(1))
PY
)
tmp=$(mktemp -d)
passed=0 failed=0
pass() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAILED: $*"; failed=$((failed + 1)); }
checked() {  # the output of one scripts/check-package.py run: "ok: ..." or its FAILED lines
  echo "$1"
  if [[ $1 == "ok: "* ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
pkgs=(bandwire libbandwire0 libbandwire-dev)
debs_of() { local p; for p in "${pkgs[@]}"; do echo "build-deb/${p}_${version}_$1.deb"; done; }
installed=0
purge() { "${sudo_cmd[@]}" apt-get purge -y -qq "${pkgs[@]}" >"$tmp/purge.log" 2>&1; }
cleanup() { ((installed)) && purge; rm -rf "$tmp"; }
trap cleanup EXIT

# ---- build and compare -----------------------------------------------------
built=()
for arch in "${archs[@]}"; do
  if scripts/package.sh "$arch" >"$tmp/package-$arch.log" 2>&1; then
    pass "scripts/package.sh $arch: $(grep -c '\.deb ' "$tmp/package-$arch.log") packages"
    sed -n 's/^package [a-z0-9]*: /   /p' "$tmp/package-$arch.log"
    built+=("$arch")
  else
    fail "scripts/package.sh $arch:"; sed 's/^/   /' "$tmp/package-$arch.log"
    continue
  fi
  for deb in $(debs_of "$arch"); do
    checked "$(scripts/check-package.py "$deb")"
  done
  # bandwire.pc as a program on that board sees it: the package's files and
  # Debian's .pc files (no mbedcrypto.pc; bluez.pc is the same everywhere).
  x=$tmp/dev-$arch
  dpkg-deb -x "build-deb/libbandwire-dev_${version}_$arch.deb" "$x"
  if libs=$(PKG_CONFIG_SYSROOT_DIR=$x PKG_CONFIG_LIBDIR="$x/usr/lib/$(ls "$x/usr/lib")/pkgconfig:/usr/share/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig" \
      pkg-config --static --cflags --libs bandwire 2>&1) && [[ $libs == *"-L$x/usr/lib/"*" -lbandwire "* ]]; then
    pass "libbandwire-dev $arch: pkg-config --static --cflags --libs bandwire resolves with Debian's .pc files only"
  else
    fail "libbandwire-dev $arch: bandwire.pc does not resolve: $libs"
  fi
done
if ((${#built[@]} > 1)); then
  for p in libbandwire0 libbandwire-dev; do
    debs=(); for arch in "${built[@]}"; do debs+=("build-deb/${p}_${version}_$arch.deb"); done
    checked "$(scripts/check-package.py --multiarch-same "${debs[@]}")"
  done
fi

# ---- the postinst's warning path, on its own --------------------------------
# (the postinst of the first package built; all are packaging/bandwire.postinst)
postinst=packaging/bandwire.postinst
if ((${#built[@]})); then
  dpkg-deb -e "build-deb/bandwire_${version}_${built[0]}.deb" "$tmp/control" && postinst=$tmp/control/postinst
fi
mkdir -p "$tmp/fakebin" "$tmp/nobin"
printf '#!/bin/sh\necho "Failed to set capabilities on file: Operation not supported" >&2\nexit 1\n' >"$tmp/fakebin/setcap"
chmod +x "$tmp/fakebin/setcap"
if PATH=$tmp/fakebin /bin/sh "$postinst" configure 2>"$tmp/warn1" && grep -q 'warning: could not give /usr/bin/bandwire cap_net_raw,cap_net_admin+eip (setcap: Failed' "$tmp/warn1" &&
   PATH=$tmp/nobin /bin/sh "$postinst" configure 2>"$tmp/warn2" && grep -q '(setcap not found)' "$tmp/warn2"; then
  pass "postinst exits 0 with a warning when setcap fails and when it is missing: $(head -1 "$tmp/warn1")"
else
  fail "postinst warning path:"; cat "$tmp/warn1" "$tmp/warn2" 2>/dev/null | sed 's/^/   /'
fi

if [[ " ${built[*]} " != *" amd64 "* ]]; then
  fail "no amd64 packages: nothing installed"
  echo "package-test: $passed passed, $failed failed"
  exit 1
fi

# ---- install the amd64 packages ---------------------------------------------
mapfile -t debs < <(debs_of amd64)
installed=1
if DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${debs[@]/#/./}" \
    >"$tmp/install.log" 2>&1; then
  pass "apt-get install ./bandwire ./libbandwire0 ./libbandwire-dev (amd64): $(dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' "${pkgs[@]}" | sed 's/ *$//' | paste -sd, -)"
else
  fail "apt-get install:"; sed 's/^/   /' "$tmp/install.log"
fi
if caps=$(getcap /usr/bin/bandwire 2>&1) && [[ $caps == *cap_net_admin,cap_net_raw=eip* ]]; then
  pass "postinst: $caps"
elif grep -q 'bandwire: warning: could not give' "$tmp/install.log"; then
  pass "postinst could not set capabilities here and warned: $(grep -m1 'bandwire: warning' "$tmp/install.log")"
else
  fail "postinst neither set capabilities (getcap: '$caps') nor warned"
fi

if v=$(/usr/bin/bandwire --version 2>&1) && [[ $(head -1 <<<"$v") == "bandwire $version" ]]; then
  pass "/usr/bin/bandwire --version: $(paste -sd';' <<<"$v")"
else
  fail "/usr/bin/bandwire --version: $v"
fi

export XDG_STATE_HOME=$tmp/state
records() {  # FILE: "N accel, N ppg, N hr"
  printf '%s accel, %s ppg, %s hr' "$(grep -c '"kind":"accel"' "$1")" "$(grep -c '"kind":"ppg"' "$1")" "$(grep -c '"kind":"hr"' "$1")"
}
if /usr/bin/bandwire stream --device sim --duration 3 >"$tmp/stream.jsonl" 2>"$tmp/stream.err" &&
   (($(grep -c '"kind":"accel"' "$tmp/stream.jsonl") > 0 && $(grep -c '"kind":"ppg"' "$tmp/stream.jsonl") > 0)); then
  pass "/usr/bin/bandwire stream --device sim --duration 3: $(records "$tmp/stream.jsonl")"
else
  fail "stream from the installed package: $(records "$tmp/stream.jsonl")"; sed 's/^/   /' "$tmp/stream.err"
fi

man=/usr/share/man/man1/bandwire.1.gz
zcat "$man" >"$tmp/bandwire.1" 2>&1
missing=()
for cmd in $(/usr/bin/bandwire --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | grep -vx help); do
  grep -qx ".SS \"bandwire $cmd\"" "$tmp/bandwire.1" || missing+=("$cmd")
done
if ((${#missing[@]} == 0)) && grep -q '^\.TH BANDWIRE "1"' "$tmp/bandwire.1"; then
  pass "man page $man: bandwire(1) with a section for each of the $(grep -c '^\.SS "bandwire ' "$tmp/bandwire.1") commands"
else
  fail "man page $man lacks: ${missing[*]:-its .TH line}"
fi

# The unit's own command line, with the band's address replaced by the
# virtual band (and stdout, where systemd appends, to a file).
unit=/usr/share/doc/bandwire/examples/bandwire-stream.service
read -ra exec_start < <(sed -n 's/^ExecStart=//p' "$unit")
exec_start=("${exec_start[@]/FA:8E:E3:12:B4:A9/sim}")
if [[ ${exec_start[0]} == /usr/bin/bandwire && " ${exec_start[*]} " == *" --device sim "* ]] &&
   "${exec_start[@]}" --duration 2 >"$tmp/unit.jsonl" 2>"$tmp/unit.err" && [[ -s $tmp/unit.jsonl ]]; then
  pass "the unit example's ExecStart runs (address -> sim, --duration 2): $(records "$tmp/unit.jsonl")"
else
  fail "the unit example's ExecStart (${exec_start[*]}):"; sed 's/^/   /' "$tmp/unit.err"
fi
if command -v systemd-analyze >/dev/null; then
  # The unit names User=pi, which this machine may lack; the rest is checked.
  sed 's/^User=pi$/User=root/' "$unit" >"$tmp/bandwire-stream.service"
  if systemd-analyze verify --man=no "$tmp/bandwire-stream.service" >"$tmp/verify.log" 2>&1; then
    pass "systemd-analyze verify accepts the unit example"
  else
    fail "systemd-analyze verify $unit:"; sed 's/^/   /' "$tmp/verify.log"
  fi
fi

# ---- a program against the installed libbandwire-dev, pkg-config only ---------
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
read -ra flags < <(pkg-config --cflags --libs bandwire 2>&1)
if pcdir=$(pkg-config --variable=pcfiledir bandwire) && [[ $pcdir == /usr/lib/x86_64-linux-gnu/pkgconfig ]] &&
   nice -n 15 "${CXX:-c++}" -std=c++20 examples/heart_rate_coro.cpp -o "$tmp/heart_rate_coro" "${flags[@]}" 2>"$tmp/cxx.log"; then
  so=$(ldd "$tmp/heart_rate_coro" | sed -n 's/.*libbandwire\.so\.0 => \([^ ]*\).*/\1/p')
  # (/lib is /usr/lib on Debian 12, so ldd may name either.)
  if [[ $(readlink -f "$so") == /usr/lib/x86_64-linux-gnu/libbandwire.so.$version ]] && "$tmp/heart_rate_coro" sim 4 >"$tmp/hr.out" 2>&1 &&
     (($(grep -c 'heart rate' "$tmp/hr.out") > 0)); then
    pass "examples/heart_rate_coro.cpp built with \$(pkg-config --cflags --libs bandwire) from $pcdir, runs on $so: $(grep -c 'heart rate' "$tmp/hr.out") heart-rate lines in 4 s"
  else
    fail "heart_rate_coro against the installed library (libbandwire.so.0 => '$so'):"; sed 's/^/   /' "$tmp/hr.out" 2>/dev/null
  fi
else
  fail "examples/heart_rate_coro.cpp does not build against the installed libbandwire-dev (bandwire.pc from '${pcdir:-nowhere}'):"
  head -20 "$tmp/cxx.log" | sed 's/^/   /'
fi

# ---- purge --------------------------------------------------------------------
files=$(for p in "${pkgs[@]}"; do dpkg-query -L "$p" 2>/dev/null; done | grep bandwire | sort -u)
purge || cat "$tmp/purge.log"
installed=0
left=$(for f in $files; do [[ -e $f || -L $f ]] && echo "$f"; done)
still=$(for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 && echo "$p"; done)
if [[ -z $left && -z $still ]] && ! command -v bandwire >/dev/null && ! pkg-config --exists bandwire; then
  pass "apt-get purge: dpkg knows none of the packages any more; none of their $(wc -w <<<"$files") paths named bandwire is left"
else
  fail "apt-get purge left packages: '$still', files: $left"
fi

echo "package-test: $passed passed, $failed failed"
((failed == 0))

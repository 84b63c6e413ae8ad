#!/usr/bin/env bash
# Debian packages of bandwire for one architecture, from an existing build
# dir of this tree (README "Debian packages"):
#
#   package.sh ARCH [BUILD_DIR]      ARCH = amd64 | arm64 | armhf
#
# BUILD_DIR defaults to build (amd64), build-aarch64 (arm64) or build-armhf
# (armhf), the dirs `meson setup build` and scripts/cross.sh make. Writes
# build-deb/{bandwire,libbandwire0,libbandwire-dev}_VERSION_ARCH.deb:
#   bandwire         /usr/bin/bandwire (on ARM the static executable), its man
#                    page, README, the systemd unit example, a postinst that
#                    sets cap_net_raw,cap_net_admin (a warning where it cannot)
#   libbandwire0     libbandwire.so.0 (Debian policy 8.1: the shared library
#                    in a package named for its SONAME, so a program built
#                    against it does not need the -dev package to run)
#   libbandwire-dev  headers, libbandwire.a, the libbandwire.so link, bandwire.pc
# No debhelper: `meson install --destdir`, then DEBIAN/ from packaging/ and
# `dpkg-deb --build`. The man page comes from the amd64 build's --help
# (NATIVE_BUILD, default build), which is the same text on every target.
# scripts/check-package.py compares the result with packaging/expected/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
arch=${1:?usage: package.sh amd64|arm64|armhf [BUILD_DIR]}
case $arch in
  amd64) build=${2:-build} triple=x86_64-linux-gnu ;;
  arm64) build=${2:-build-aarch64} triple=aarch64-linux-gnu ;;
  armhf) build=${2:-build-armhf} triple=arm-linux-gnueabihf ;;
  *) echo "package: unknown ARCH '$arch' (amd64, arm64 or armhf)" >&2; exit 2 ;;
esac
native=${NATIVE_BUILD:-build}
out='build-deb'
work=$out/$arch
maintainer='bandwire maintainers <maintainers@bandwire.invalid>'
fail() { echo "package $arch: $*" >&2; exit 1; }

[[ -f $build/build.ninja ]] || fail "$build is not a meson build dir (scripts/cross.sh or meson setup first)"
[[ -x $native/tools/bandwire ]] || fail "no $native/tools/bandwire for the man page (build the amd64 tree first)"
if [[ $arch == amd64 ]]; then strip=strip nm=nm; else strip=$triple-strip nm=$triple-nm; fi
command -v "$strip" >/dev/null || fail "$strip not found (scripts/deps.sh --cross)"
for tool in dpkg-deb dpkg-shlibdeps help2man; do
  command -v $tool >/dev/null || fail "$tool not found (scripts/deps.sh --test)"
done

# What meson configured (its introspection files, read without starting meson).
intro() {  # NAME: a build option of $build, or "version" for the project's
  python3 - "$build/meson-info" "$1" <<'PY'
import json, sys
info, name = sys.argv[1], sys.argv[2]
if name == "version":
    print(json.load(open(info + "/intro-projectinfo.json"))["version"])
else:
    print(next(o["value"] for o in json.load(open(info + "/intro-buildoptions.json")) if o["name"] == name))
PY
}
version=$(intro version)
[[ $arch == amd64 || $(intro static_exe) == True ]] || fail "$build is not a -Dstatic_exe=true build (scripts/cross.sh makes one)"
# For the changelog; a timestamp from the tree, so two runs make the same files.
revision=$(git describe --always --dirty 2>/dev/null || echo "an unknown revision")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

echo "== package $arch: bandwire $version from $build/"
rm -rf "$work"
mkdir -p "$work"
stage=$work/stage
meson install -C "$build" --destdir "$PWD/$stage" --quiet >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "meson install"; }

# ---- place the staged files --------------------------------------------
# The build dir keeps its own prefix (/usr/local, libdir lib in a cross
# build): nothing built depends on it (meson.build reads no install dir), so
# the files move to /usr and the multiarch libdir, and bandwire.pc, the only
# file naming the prefix, is rewritten. A staged file nothing claims fails.
prefix=$(intro prefix)
in_prefix() { case $1 in /*) echo "$stage$1" ;; *) echo "$stage$prefix/$1" ;; esac; }
s_bin=$(in_prefix "$(intro bindir)")
s_lib=$(in_prefix "$(intro libdir)")
s_inc=$(in_prefix "$(intro includedir)")
p_exe=$work/bandwire p_lib=$work/libbandwire0 p_dev=$work/libbandwire-dev
multiarch=usr/lib/$triple
mkdir -p "$p_exe/usr/bin" "$p_lib/$multiarch" "$p_dev/$multiarch/pkgconfig" "$p_dev/usr/include"
mv "$s_bin/bandwire" "$p_exe/usr/bin/"
mv "$s_lib"/libbandwire.so.0* "$p_lib/$multiarch/"
mv "$s_lib/libbandwire.so" "$s_lib/libbandwire.a" "$p_dev/$multiarch/"
mv "$s_lib/pkgconfig/bandwire.pc" "$p_dev/$multiarch/pkgconfig/"
mv "$s_inc/bandwire" "$p_dev/usr/include/"
left=$(find "$stage" ! -type d)
[[ -z $left ]] || fail "meson installs files this script does not place in a package:
$left"
rm -rf "$stage"

pc=$p_dev/$multiarch/pkgconfig/bandwire.pc
# Debian's libmbedtls-dev has no mbedcrypto.pc on any architecture; a cross
# build found the sysroot's stand-in (scripts/cross-sysroot.sh) and names it
# in Requires.private, which would break pkg-config on the board.
# Libs.private's -lmbedcrypto names the library already.
sed -i -e "s|^prefix=.*|prefix=/usr|" -e "s|^libdir=.*|libdir=\${prefix}/lib/$triple|" \
  -e "s|^includedir=.*|includedir=\${prefix}/include|" \
  -e '/^Requires.private:/ { s/, *mbedcrypto\b//; s/\bmbedcrypto *, *//; }' "$pc"
grep -qx 'Requires.private: bluez' "$pc" || fail "bandwire.pc: unexpected Requires.private (Debian packages only bluez.pc):
$(cat "$pc")"

# ---- strip, as dh_strip does ---------------------------------------------
exe=$p_exe/usr/bin/bandwire
"$strip" --remove-section=.comment --remove-section=.note "$exe"
"$strip" --remove-section=.comment --remove-section=.note --strip-unneeded "$p_lib/$multiarch/libbandwire.so.$version"
"$strip" --remove-section=.comment --remove-section=.note --strip-debug --enable-deterministic-archives \
  "$p_dev/$multiarch/libbandwire.a"
if [[ $arch != amd64 ]] && readelf -l "$exe" | grep 'Requesting program interpreter' >/dev/null; then
  fail "$exe is not a static executable"
fi

# ---- man page ------------------------------------------------------------
# help2man reads the amd64 build's --help and each command's --help: the
# command table is the same on every target (only --version names the
# target, hence --version-string). With qemu-user at hand the ARM
# executable's help texts are compared to make sure.
help_text() {  # RUNNER... EXE: the top-level help, then each command's
  local cmd
  "$@" --help
  for cmd in $(commands "$@"); do printf '\n### %s\n' "$cmd"; "$@" "$cmd" --help || return 1; done
}
commands() { "$@" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | grep -vx help; }
help_text "$native/tools/bandwire" >"$work/help.amd64" || fail "$native/tools/bandwire --help failed"
if [[ $arch != amd64 ]]; then
  qemu='qemu-aarch64-static'
  [[ $arch == armhf ]] && qemu='qemu-arm-static'
  if command -v $qemu >/dev/null; then
    help_text $qemu "$exe" >"$work/help.$arch" || fail "$arch bandwire --help failed under $qemu"
    diff -u "$work/help.amd64" "$work/help.$arch" >&2 || fail "the $arch executable's help differs from amd64's: the man page would not fit"
    echo "package $arch: help texts of the $arch executable (under $qemu) are amd64's: $(grep -c '^### ' "$work/help.$arch") commands"
  fi
fi
{
  printf '[COMMANDS]\nEach command'"'"'s own \\fB\\-\\-help\\fR.\n'
  for cmd in $(commands "$native/tools/bandwire"); do
    printf '.SS "bandwire %s"\n.nf\n' "$cmd"
    "$native/tools/bandwire" "$cmd" --help | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e 's/^/\\\&/'
    printf '.fi\n'
  done
} >"$work/commands.h2m"
man=$p_exe/usr/share/man/man1
mkdir -p "$man"
help2man --no-info --section=1 --version-string="$version" \
  --name='Bluetooth LE (ATT/GATT) and Mi Band 2 tool over raw kernel sockets' \
  --include="$work/commands.h2m" --include=packaging/bandwire.h2m \
  --output="$man/bandwire.1" "$native/tools/bandwire" || fail "help2man"
gzip -9n "$man/bandwire.1"

# ---- documentation -------------------------------------------------------
subst() {  # TEMPLATE: @FIELD@s replaced; a control field left empty is dropped
  sed -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$arch|g" -e "s|@MAINTAINER@|$maintainer|g" \
    -e "s|@REVISION@|$revision|g" -e "s|@DATE@|$(date -u -R -d "@$SOURCE_DATE_EPOCH")|g" \
    -e "s|@DEPENDS@|${depends:-}|g" -e "s|@BUILT_USING@|${built_using:-}|g" \
    -e "s|@INSTALLED_SIZE@|${installed_size:-}|g" "$1" | grep -v '^[A-Za-z-]*: *$'
}
docs() {  # PACKAGE_DIR NAME COPYRIGHT_HEADER: copyright and changelog
  local d=$1/usr/share/doc/$2
  mkdir -p "$d"
  cat "packaging/copyright.d/$3" packaging/copyright.d/body >"$d/copyright"
  subst packaging/changelog | gzip -9n >"$d/changelog.gz"
}
if [[ $arch == amd64 ]]; then docs "$p_exe" bandwire header-exe; else docs "$p_exe" bandwire header-exe-static; fi
# The library packages' files outside the libdir are the same on every
# architecture (Multi-Arch: same needs that), hence one copyright header.
docs "$p_lib" libbandwire0 header-lib
docs "$p_dev" libbandwire-dev header-lib
gzip -9n <README.md >"$p_exe/usr/share/doc/bandwire/README.md.gz"
mkdir -p "$p_exe/usr/share/doc/bandwire/examples"
cp packaging/bandwire-stream.service "$p_exe/usr/share/doc/bandwire/examples/"

# ---- dependencies ----------------------------------------------------------
shlibdeps() {  # FILE: the Debian packages its NEEDED libraries come from
  local d=$work/shlibdeps cross=()
  mkdir -p "$d/debian"
  # dpkg-shlibdeps reads the package names from a debian/control.
  printf 'Source: bandwire\n\nPackage: bandwire\nArchitecture: any\n' >"$d/debian/control"
  # For a cross build it finds the target's C and C++ runtime in the cross
  # compiler's dir; those packages' shlibs name the target's packages as
  # libc6:arm64 or libgcc-s1-arm64-cross, which the board knows as libc6.
  [[ $arch != amd64 ]] && cross=(-l"/usr/$triple/lib")
  # (Its warning that the file is not under debian/PACKAGE/ is beside the point.)
  (cd "$d" && DEB_HOST_ARCH=$arch DEB_HOST_MULTIARCH=$triple dpkg-shlibdeps -O "${cross[@]}" "$root/$1") \
    >"$d/out" 2>"$d/log" || { cat "$d/log" >&2; return 1; }
  sed -n 's/^shlibs:Depends=//p' "$d/out" | sed -E "s/:$arch\b//g; s/-$arch-cross\b//g"
}
built_using_of() {  # FILE SOURCE: "SOURCE (= V)" from the Built-Using of the package holding FILE
  local pkg
  pkg=$(dpkg -S "$(readlink -f "$1")" | sed 's/:.*//' | head -1)
  dpkg-query -W -f='${Built-Using}' "$pkg" | tr ',' '\n' | sed 's/^ *//' | grep "^$2 ("
}
so=$p_lib/$multiarch/libbandwire.so.$version
exe_depends='libcap2-bin' exe_built_using='' lib_built_using=''
lib_depends=$(shlibdeps "$so") || fail "dpkg-shlibdeps on libbandwire.so.$version"
[[ -n $lib_depends ]] || fail "dpkg-shlibdeps found no dependency of libbandwire.so.$version"
if [[ $arch == amd64 ]]; then
  exe_depends=$(shlibdeps "$exe") || fail "dpkg-shlibdeps on bandwire"
  exe_depends+=", libcap2-bin"
else
  # The static executable needs no library, only setcap for its postinst.
  # Built-Using names the Debian sources linked into it (policy 7.8).
  sysroot=build-sysroot/$(basename "$build" | sed 's/^build-//')
  mbedtls_deb=$(ls "$sysroot"/debs/libmbedcrypto7_*.deb) || fail "no libmbedcrypto7 deb in $sysroot/debs"
  mbedtls="$(dpkg-deb -f "$mbedtls_deb" Source) (= $(dpkg-deb -f "$mbedtls_deb" Version))"
  exe_built_using="$(built_using_of "$($triple-g++ -print-file-name=libstdc++.a)" gcc-12), \
$(built_using_of "$($triple-g++ -print-file-name=libc.a)" glibc), $mbedtls"
  # A static_exe build links the static mbedcrypto into libbandwire.so too.
  # (grep reads all of nm's output: -q would stop early, and pipefail would count the SIGPIPE.)
  if ! readelf -d "$so" | grep 'NEEDED.*libmbedcrypto' >/dev/null && "$nm" -D --defined-only "$so" | grep ' mbedtls_' >/dev/null; then
    lib_built_using=$mbedtls
  fi
fi

# ---- DEBIAN/ and the .debs -------------------------------------------------
installed_size_of() {  # DIR: KiB as dpkg-gencontrol counts (each file rounded up, 1 per other entry)
  find "$1" -mindepth 1 -path "$1/DEBIAN" -prune -o -printf '%y %s\n' |
    awk '{ n += ($1 == "f") ? int(($2 + 1023) / 1024) : 1 } END { print n }'
}
control() {  # PACKAGE_DIR NAME DEPENDS BUILT_USING
  local dir=$1 depends=$3 built_using=$4 installed_size
  mkdir -p "$dir/DEBIAN"
  # Modes as dh_fixperms leaves them: the tree's umask does not matter.
  find "$dir" -type d -exec chmod 0755 {} +
  find "$dir" -type f -exec chmod 0644 {} +
  installed_size=$(installed_size_of "$dir")
  subst "packaging/$2.control" >"$dir/DEBIAN/control"
  (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$dir/DEBIAN/md5sums"
}
control "$p_exe" bandwire "$exe_depends" "$exe_built_using"
chmod 0755 "$exe"
install -m 0755 packaging/bandwire.postinst "$p_exe/DEBIAN/postinst"
control "$p_lib" libbandwire0 "$lib_depends" "$lib_built_using"
# (Debian installs shared libraries 0644, as dh_fixperms does: the loader maps them.)
subst packaging/libbandwire0.shlibs >"$p_lib/DEBIAN/shlibs"
cp packaging/libbandwire0.triggers "$p_lib/DEBIAN/triggers"
control "$p_dev" libbandwire-dev "libbandwire0 (= $version), libboost-dev (>= 1.74), libbluetooth-dev, libmbedtls-dev" ""
chmod 0644 "$p_lib/DEBIAN/shlibs" "$p_lib/DEBIAN/triggers"

for p in bandwire libbandwire0 libbandwire-dev; do
  deb=$out/${p}_${version}_$arch.deb
  dpkg-deb --root-owner-group -Zxz --build "$work/$p" "$deb" >/dev/null || fail "dpkg-deb --build $p"
  echo "package $arch: $deb $(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
done

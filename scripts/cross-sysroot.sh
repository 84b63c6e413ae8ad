#!/usr/bin/env bash
# Prepares a cross build for a Raspberry Pi class target (ARCH = aarch64 or
# armhf): Debian's cross compiler and qemu-user-static on the host, and a
# local sysroot build-sysroot/ARCH/ holding the target's mbedTLS.
#
#   cross-sysroot.sh ARCH     prints the sysroot path on its last line
#
# Why not `apt-get install libmbedtls-dev:arm64`: multiarch installs fail on
# our machines because the registry's arm64/armhf base libraries trail the
# amd64 ones (shared/reference/toolchain-notes.md, "Cross builds"). So the
# target packages are only downloaded and unpacked with dpkg -x. Boost, BlueZ
# and doctest are header-only here and architecture-independent: the sysroot
# links to the host's copies. A second run with a complete sysroot touches
# neither apt nor the network.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: cross-sysroot.sh aarch64|armhf}
case $arch in
  aarch64) deb_arch=arm64 triple=aarch64-linux-gnu ;;
  armhf) deb_arch=armhf triple=arm-linux-gnueabihf ;;
  *) echo "cross-sysroot: unknown ARCH '$arch' (aarch64 or armhf)" >&2; exit 2 ;;
esac
sysroot=$PWD/build-sysroot/$arch
target_pkgs=(libmbedtls-dev libmbedcrypto7)

scripts/deps.sh --cross >&2

# (A sysroot made before CLI11, nlohmann-json or toml++ was needed lacks its .pc: made again.)
if [[ -f $sysroot/.complete && -f $sysroot/usr/lib/pkgconfig/CLI11.pc && -f $sysroot/usr/lib/pkgconfig/nlohmann_json.pc &&
      -f $sysroot/usr/lib/pkgconfig/tomlplusplus.pc ]]; then
  echo "cross-sysroot: using cached $sysroot ($(cat "$sysroot/.complete"))" >&2
  echo "$sysroot"
  exit 0
fi

rm -rf "$sysroot"
mkdir -p "$sysroot/debs"
# apt only resolves PKG:ARCH for an architecture dpkg knows; adding it lets
# apt fetch that architecture's package lists and installs nothing.
if ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
  echo "cross-sysroot: dpkg --add-architecture $deb_arch" >&2
  dpkg --add-architecture "$deb_arch"
  apt-get update -qq
fi
(
  cd "$sysroot/debs"
  pkgs=()
  for p in "${target_pkgs[@]}"; do pkgs+=("$p:$deb_arch"); done
  # apt-get download needs the package lists; refresh them once if it fails.
  if ! apt-get download -qq "${pkgs[@]}" >/dev/null 2>&1; then
    echo "cross-sysroot: apt-get update" >&2
    apt-get update -qq
    apt-get download -qq "${pkgs[@]}" >/dev/null
  fi
)
versions=()
for deb in "$sysroot"/debs/*.deb; do
  dpkg -x "$deb" "$sysroot"
  versions+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)")
done
libdir=$sysroot/usr/lib/$triple
[[ -f $libdir/libmbedcrypto.a ]] || { echo "cross-sysroot: no libmbedcrypto.a in $libdir" >&2; exit 1; }

# Host headers that are the same for every architecture.
for h in boost bluetooth doctest CLI nlohmann toml++; do
  [[ -e /usr/include/$h ]] || { echo "cross-sysroot: /usr/include/$h missing (run scripts/deps.sh)" >&2; exit 1; }
  ln -sfn "/usr/include/$h" "$sysroot/usr/include/$h"
done

# pkg-config files for the cross build (the cross file points
# pkg_config_libdir here): Debian's mbedTLS 2.28 ships none, and the host's
# bluez.pc would name host paths.
pc=$sysroot/usr/lib/pkgconfig
mkdir -p "$pc"
cat >"$pc/mbedcrypto.pc" <<PC
prefix=$sysroot/usr
Name: mbedcrypto
Description: mbedTLS crypto library (Debian $deb_arch, unpacked)
Version: $(dpkg-deb -f "$sysroot"/debs/libmbedcrypto7_*.deb Version | sed 's/-.*//')
Libs: -L\${prefix}/lib/$triple -lmbedcrypto
Cflags: -I\${prefix}/include
PC
cat >"$pc/bluez.pc" <<PC
prefix=$sysroot/usr
Name: bluez
Description: BlueZ headers (architecture-independent, from the host)
Version: $(pkg-config --modversion bluez)
Cflags: -I\${prefix}/include
PC
cat >"$pc/doctest.pc" <<PC
prefix=$sysroot/usr
Name: doctest
Description: doctest (header-only, from the host)
Version: $(dpkg-query -W -f='${Version}' doctest-dev | sed 's/-.*//')
Cflags: -I\${prefix}/include
PC

cat >"$pc/CLI11.pc" <<PC
prefix=$sysroot/usr
Name: CLI11
Description: CLI11 (header-only, from the host)
Version: $(dpkg-query -W -f='${Version}' libcli11-dev | sed 's/+.*//; s/-.*//')
Cflags: -I\${prefix}/include
PC

cat >"$pc/nlohmann_json.pc" <<PC
prefix=$sysroot/usr
Name: nlohmann_json
Description: JSON for Modern C++ (header-only, from the host; tests only)
Version: $(pkg-config --modversion nlohmann_json)
Cflags: -I\${prefix}/include
PC

# toml++ is used header-only (miband/settings_file.cpp): only includedir is
# read from this file, so it names no library (Debian's names a shared one).
cat >"$pc/tomlplusplus.pc" <<PC
prefix=$sysroot/usr
includedir=\${prefix}/include
Name: tomlplusplus
Description: toml++ (header-only, from the host)
Version: $(pkg-config --modversion tomlplusplus)
Cflags: -I\${includedir}
PC

echo "${versions[*]}" >"$sysroot/.complete"
echo "cross-sysroot: $sysroot ready (${versions[*]})" >&2
echo "$sysroot"

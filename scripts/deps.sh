#!/usr/bin/env bash
# Installs bandwire's build and test dependencies from Debian 12's packages.
# Skips apt-get entirely when everything is already present.
set -euo pipefail
pkgs=(g++ meson ninja-build pkg-config cmake python3 libboost-dev libbluetooth-dev libmbedtls-dev doctest-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libmosquitto-dev)
if [[ "${1:-}" == "--test" ]]; then
  # clang + libFuzzer for fuzz targets, tshark as an independent decoder.
  # help2man and dpkg-dev for the Debian packages (scripts/package.sh);
  # libcap2-bin (setcap), which the bandwire package depends on, so that CI
  # installs it with apt-get from the local .deb without a download.
  # mosquitto + mosquitto-clients: the broker and subscriber of the "mqtt"
  # suite (tests/mqtt/); openssl makes its TLS case's CA.
  pkgs+=(clang libclang-rt-14-dev tshark help2man dpkg-dev libcap2-bin mosquitto mosquitto-clients openssl)
fi
if [[ "${1:-}" == "--test" || "${1:-}" == "--cross" ]]; then
  # Raspberry Pi cross builds and their tests under qemu-user (scripts/cross.sh).
  pkgs+=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user-static)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

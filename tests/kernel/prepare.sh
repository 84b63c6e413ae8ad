#!/usr/bin/env bash
# Host side of the real-kernel suite (kernel-test-recipe.md, "Recipe" steps 1-2):
# installs qemu, busybox-static, cpio and kmod, then downloads (never installs)
# Debian's kernel image and BlueZ with their libraries and unpacks them into a
# cached stage directory the initramfs is built from.
#
#   prepare.sh CACHE_DIR      prints nothing on success but progress lines;
#                             exit 77 (meson: skipped) when packages are missing
#                             and cannot be installed (not root).
#
# Everything lands under CACHE_DIR (debs/, stage/); a second run with a
# complete cache touches neither apt nor the network.
set -euo pipefail
cache=${1:?usage: prepare.sh CACHE_DIR}
mkdir -p "$cache/debs"
export DEBIAN_FRONTEND=noninteractive

host_pkgs=(qemu-system-x86 busybox-static cpio kmod)
missing=()
for p in "${host_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
updated=0
apt_update() { ((updated)) || { echo "prepare: apt-get update"; apt-get update -qq; updated=1; }; }
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "prepare: missing host packages ${missing[*]} and not root; skipping the kernel suite"
    exit 77
  fi
  apt_update
  echo "prepare: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The guest payload. Libraries are those ldd wants for btvirt, btmgmt, btmon,
# gatttool and hcitool on Debian 12 (recipe Appendix A).
guest_pkgs=(bluez bluez-test-tools libglib2.0-0 libdbus-1-3 libreadline8 libudev1 libpcre2-8-0 libtinfo6
            libasound2 libdw1 libelf1 libjson-c5 libsystemd0)
stage=$cache/stage
if [[ -f $stage/.complete ]]; then
  echo "prepare: using cached stage $(cat "$stage/.complete")"
  exit 0
fi

# Pitfall 8: the kernel's ABI name changes with security updates and old debs
# leave the mirror, so resolve it through linux-image-amd64's dependency.
resolve_kernel() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
kpkg=$(resolve_kernel || true)
if [[ -z $kpkg ]]; then apt_update; kpkg=$(resolve_kernel); fi
[[ -n $kpkg ]] || { echo "prepare: cannot resolve linux-image-amd64's kernel package"; exit 1; }

cd "$cache/debs"
have_all() {
  local p
  for p in "$kpkg" "${guest_pkgs[@]}"; do compgen -G "${p}_*.deb" >/dev/null || return 1; done
}
if ! have_all; then
  # apt-get download runs as the calling user; as root apt warns that it is
  # unsandboxed, which is harmless here.
  echo "prepare: downloading $kpkg and BlueZ"
  if ! apt-get download -qq "$kpkg" "${guest_pkgs[@]}" 2>/dev/null; then
    # Stale package lists: the mirror has moved on to a newer ABI (pitfall 8).
    apt_update
    kpkg=$(resolve_kernel)
    apt-get download -qq "$kpkg" "${guest_pkgs[@]}" 2>&1 | grep -v unsandboxed || true
  fi
  have_all || { echo "prepare: download incomplete"; exit 1; }
fi

rm -rf "$stage.tmp"
mkdir -p "$stage.tmp"
newest() { ls -1 "$1"_*.deb | sort -V | tail -1; }   # several versions may be cached over time
# Of the kernel only what the guest boots and loads (a few MB of its 400).
dpkg-deb --fsys-tarfile "$(newest "$kpkg")" | tar -x -C "$stage.tmp" --wildcards './boot/vmlinuz-*' \
  './lib/modules/*/modules.order' './lib/modules/*/modules.builtin*' './lib/modules/*/kernel/crypto/*' \
  './lib/modules/*/kernel/lib/*' './lib/modules/*/kernel/net/rfkill/*' './lib/modules/*/kernel/net/bluetooth/*' \
  './lib/modules/*/kernel/drivers/bluetooth/*'
for p in "${guest_pkgs[@]}"; do dpkg -x "$(newest "$p")" "$stage.tmp"; done
ls "$stage.tmp"/boot/vmlinuz-* >/dev/null
rm -rf "$stage"
mv "$stage.tmp" "$stage"
echo "$kpkg" > "$stage/.complete"
echo "prepare: stage ready ($kpkg)"

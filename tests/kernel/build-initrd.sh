#!/usr/bin/env bash
# Builds the guest initramfs (kernel-test-recipe.md, "Recipe" step 3): busybox,
# the Bluetooth and crypto kernel modules, BlueZ's btvirt/btmgmt/btmon/gatttool/
# hcitool from the stage, and OUR binaries (bandwire, kernel_probe), each with
# the shared libraries ldd resolves. No root needed.
#
#   build-initrd.sh STAGE OUT_DIR INIT_SCRIPT BINARY...    -> OUT_DIR/initrd.gz
set -euo pipefail
stage=${1:?stage}; out=${2:?out dir}; init=${3:?init script}; shift 3
kver=$(ls "$stage/lib/modules" | head -1)
root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,lib/modules/"$kver",lib64,lib/x86_64-linux-gnu,proc,sys,dev,tmp,run,etc}

cp /bin/busybox "$root/bin/busybox"
for a in sh mount umount insmod modprobe mkdir cat echo sleep ls ps kill poweroff grep sed head tail base64 \
         dmesg timeout date wc dd printf cut tr uname true false test seq awk sort uniq rm cp env xxd od tee; do
  ln -sf busybox "$root/bin/$a"
done

# Pitfalls 1-2: the crypto modules btvirt (AF_ALG) and SMP (ECDH with a
# default RNG) need. Debian 12 ships them uncompressed.
mods="crypto/sha512_generic.ko crypto/sha3_generic.ko crypto/jitterentropy_rng.ko crypto/ctr.ko crypto/drbg.ko
      crypto/ecc.ko crypto/ecdh_generic.ko net/rfkill/rfkill.ko lib/crc16.ko crypto/cmac.ko crypto/ccm.ko
      crypto/ecb.ko crypto/af_alg.ko crypto/algif_hash.ko crypto/algif_skcipher.ko
      net/bluetooth/bluetooth.ko drivers/bluetooth/hci_vhci.ko"
for m in $mods; do
  mkdir -p "$root/lib/modules/$kver/kernel/$(dirname "$m")"
  cp "$stage/lib/modules/$kver/kernel/$m" "$root/lib/modules/$kver/kernel/$m"
done
cp "$stage/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"

# Binaries and what ldd says they need; BlueZ's libraries come from the stage.
copy_with_libs() {
  local bin=$1 dest=$2 libs
  cp "$bin" "$dest"
  libs=$(LD_LIBRARY_PATH="$stage/lib/x86_64-linux-gnu:$stage/usr/lib/x86_64-linux-gnu" ldd "$bin")
  if grep -q "not found" <<<"$libs"; then
    echo "build-initrd: $bin: missing libraries:"; grep "not found" <<<"$libs"; exit 1
  fi
  awk '/=> \//{print $3}' <<<"$libs" | while read -r l; do cp -L "$l" "$root/lib/x86_64-linux-gnu/"; done
}
for b in btvirt btmgmt btmon gatttool hcitool; do copy_with_libs "$stage/usr/bin/$b" "$root/usr/bin/"; done
for b in "$@"; do
  copy_with_libs "$b" "$root/usr/bin/"
  strip -s "$root/usr/bin/$(basename "$b")" 2>/dev/null || true   # debug info only costs boot time
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

cp "$init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"

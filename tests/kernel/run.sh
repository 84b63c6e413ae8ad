#!/usr/bin/env bash
# The real-kernel suite's host runner (meson test 'kernel'): prepares the
# cached Debian kernel + BlueZ stage, builds the initramfs with OUR binaries,
# boots it under qemu (TCG), reports the guest's per-case results, and decodes
# the guest's btmon capture on the host with `bandwire decode`.
#
#   run.sh WORK_DIR BANDWIRE KERNEL_PROBE
#
# Exit 0 = every case passed, 1 = a failure, 77 = skipped (no way to install
# qemu). Downloads are cached in $BANDWIRE_KERNEL_CACHE (default
# ~/.cache/bandwire/kernel), so a rerun needs no network.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?work dir}; bandwire=${2:?bandwire}; probe=${3:?kernel_probe}
cache=${BANDWIRE_KERNEL_CACHE:-${XDG_CACHE_HOME:-${HOME:-$work}/.cache}/bandwire/kernel}
mkdir -p "$work"
t() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(t)" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(t)
"$here/prepare.sh" "$cache"; rc=$?
[[ $rc = 77 ]] && exit 77
[[ $rc = 0 ]] || { echo "kernel: prepare failed"; exit 1; }
echo "kernel: prepare took $(secs "$t0") s (cache $cache)"

t0=$(t)
"$here/build-initrd.sh" "$cache/stage" "$work" "$here/init.sh" "$bandwire" "$probe" || { echo "kernel: initrd failed"; exit 1; }
echo "kernel: initrd $(du -k "$work/initrd.gz" | cut -f1) KiB built in $(secs "$t0") s"

# Recipe step 4; pitfall 9: quiet boot, unique markers, strip \r.
t0=$(t)
timeout 300 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nic none -nographic -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -kernel "$(ls "$cache"/stage/boot/vmlinuz-* | head -1)" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1" < /dev/null 2>&1 | tr -d '\r' > "$work/console.log"
qemu_rc=${PIPESTATUS[0]}
boot=$(secs "$t0")
sed '/^KT-BTSNOOP-BEGIN/,/^KT-BTSNOOP-END/d' "$work/console.log" > "$work/guest.log"

# isa-debug-exit: 1 = the guest passed, 3 = it failed; 0 means it died or
# powered off without reporting, which is a failure too.
case $qemu_rc in
  1) guest=PASS ;;
  3) guest=FAIL ;;
  124) guest="FAIL (qemu killed after 300 s)" ;;
  *) guest="FAIL (qemu exit $qemu_rc: the guest did not report)" ;;
esac

# (g) the capture, carried as base64 over the console, decoded here.
sed -n '/^KT-BTSNOOP-BEGIN/,/^KT-BTSNOOP-END/p' "$work/console.log" | sed '1d;$d' | base64 -d > "$work/capture.btsnoop" 2>/dev/null
g="FAIL no capture came over the console"
if [[ -s $work/capture.btsnoop ]]; then
  if "$bandwire" decode "$work/capture.btsnoop" > "$work/decode.txt" 2>&1; then
    n=$(wc -l < "$work/decode.txt")
    if grep -q "MI Band 2\|4d 49 20 42 61 6e 64 20 32\|4d4920426" "$work/decode.txt"; then
      g="PASS btmon capture ($(stat -c %s "$work/capture.btsnoop") bytes) decoded on the host by bandwire decode: $n lines"
    else
      g="FAIL bandwire decode found no Mi Band traffic in the capture ($n lines)"
    fi
  else
    g="FAIL bandwire decode failed: $(tail -1 "$work/decode.txt")"
  fi
fi

echo "kernel: guest boot + cases took $boot s, qemu exit $qemu_rc"
grep -E '^KT-(CASE|LOG)' "$work/guest.log"
echo "KT-CASE g $g"
status=0
[[ $guest = PASS && $g = PASS* ]] || status=1
if [[ $status != 0 ]]; then
  echo "---- guest console (without the capture) ----"
  cat "$work/guest.log"
  [[ -s $work/decode.txt ]] && { echo "---- bandwire decode (head) ----"; head -40 "$work/decode.txt"; }
fi
echo "kernel: guest $guest; overall $([[ $status = 0 ]] && echo PASS || echo FAIL)"
exit $status

#!/bin/sh
# PID 1 of the real-kernel suite's qemu guest. Proves bandwire's socket paths
# against Debian's kernel with two linked virtual LE controllers (hci_vhci +
# btvirt): hci1 is the virtual Mi Band 2 (`bandwire sim --adapter hci1`), hci0
# the host side. Every case prints "KT-CASE <id> PASS|FAIL <what>"; the verdict
# goes to qemu's isa-debug-exit port (run.sh maps it).
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
echo /bin/modprobe > /proc/sys/kernel/modprobe
cd /tmp

now() { cut -d' ' -f1 /proc/uptime; }
log() { echo "KT-LOG [$(now)] $*"; }
FAILS=0
pass() { echo "KT-CASE $1 PASS $2"; }
fail() { echo "KT-CASE $1 FAIL $2"; FAILS=$((FAILS + 1)); }
show() { sed "s/^/KT-OUT $1| /" "$2"; }   # a program's output, tagged
# Pitfall 4: the LE link outlives the sockets by the disconnect timeout (2 s,
# 4 s on the peripheral); the next case needs a fresh link.
link_gone() {
  i=0
  while [ $i -lt 100 ]; do
    hcitool -i hci0 con | grep -q LE || { hcitool -i hci1 con | grep -q LE || return 0; }
    sleep 0.1; i=$((i + 1))
  done
  log "an LE link is still up after 10 s"; return 1
}
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

log "kernel $(uname -r)"
# Pitfalls 1-2: the default RNG (drbg + jitterentropy + their hashes) before
# ecdh_generic, and AF_ALG + ecb + cmac for btvirt's crypto; in this order.
for m in sha512_generic sha3_generic jitterentropy_rng ctr drbg ecb cmac ccm af_alg algif_hash algif_skcipher hci_vhci; do
  modprobe $m || log "modprobe $m FAILED"
done

BAND=FA:8E:E3:12:B4:A9                    # the sim's default: the fact sheet's CAP-A band
ABSENT=C0:11:22:33:44:55                  # static random, advertised by nobody
BW="bandwire"
DEV="--device $BAND --addr-type random --adapter hci0 --state-dir /tmp/state --timeout 10"
# Mode 0600 (umask is a shell builtin): bandwire refuses key files group or others may read.
(umask 077; echo 00112233445566778899aabbccddeeff > /tmp/band.key)

btmon -w /tmp/cap.btsnoop > /tmp/btmon.log 2>&1 &
BTMON=$!
sleep 0.3
btvirt -l2 > /tmp/btvirt.log 2>&1 &
i=0; while [ ! -e /sys/class/bluetooth/hci1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
log "controllers: $(ls /sys/class/bluetooth | tr '\n' ' ')"
# The host side: LE only, powered, its public address as identity. hci1 is
# left entirely to `bandwire sim --adapter hci1`.
btmgmt -i hci0 le on > /dev/null; btmgmt -i hci0 bredr off > /dev/null; btmgmt -i hci0 power on > /dev/null
HOST=$(kernel_probe addr hci0)
log "hci0 = $HOST"

# ---- (a) the virtual band advertises on hci1 as a Mi Band 2 --------------------
# --speed 4: heart rate within 2 s, yet 15 s before the band drops a link that
# has not authenticated (60 s band time, a sim choice): discovery over the
# emulated link takes 3-8 s under TCG, more on a loaded machine.
$BW sim --adapter hci1 --key-file /tmp/band.key --speed 4 > /tmp/sim.log 2>&1 &
SIM=$!
i=0; while ! grep -q "advertising on hci1" /tmp/sim.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
show sim /tmp/sim.log
# ---- (b) bandwire scan on hci0 finds it and marks it "Mi Band 2" ---------------
# First, while hci0 has never scanned: btmgmt's discovery below leaves the
# controller scanning with duplicate filtering for ~10 s.
if $BW scan --help > /dev/null 2>&1; then
  t0=$(now)
  timeout 20 $BW scan --adapter hci0 --duration 3 > /tmp/scan.log 2>&1; rc=$?
  show scan /tmp/scan.log
  if [ $rc = 0 ] && grep -i "$BAND" /tmp/scan.log | grep -qi "mi band 2"; then
    pass b "bandwire scan found $BAND as Mi Band 2 in $(elapsed $t0) s"
  else
    fail b "bandwire scan (exit $rc) did not list $BAND as Mi Band 2"
  fi
else
  echo "KT-CASE b SKIP bandwire has no scan command yet"
fi

# (a), continued, with BlueZ's tools as independent witnesses: btmgmt discovers
# the band from hci0 (active: with the scan response), and btmon decodes the
# reports hci0's controller received.
timeout 3 btmgmt -i hci0 find -l > /tmp/find.log 2>&1
btmgmt -i hci0 stop-find -l > /dev/null 2>&1
show find /tmp/find.log
btmon -r /tmp/cap.btsnoop > /tmp/mon-a.txt 2>&1
# The report entries of hci0's controller: the advertiser's address and type,
# the Huami manufacturer data (the 24 octets of fact sheet §20.8) and the name.
awk '/\[hci0\]/ {h = ($0 ~ /Event: LE Meta/)} h' /tmp/mon-a.txt > /tmp/mon-a-hci0.txt
grep -E "Address: $BAND|Company:|Data: 002c04e3|Name \(complete\)|Flags: 0x06|fee0|FEE0" /tmp/mon-a-hci0.txt | sort | uniq -c | sed 's/^/KT-OUT btmon| /'
if grep -q "Address: $BAND (Static)" /tmp/mon-a-hci0.txt \
   && grep -q "Company: Anhui Huami" /tmp/mon-a-hci0.txt \
   && grep -q "Data: 002c04e3a09ee1beab4773fa4501ec4fd703fa8ee312b4a9" /tmp/mon-a-hci0.txt \
   && grep -q "Name (complete): MI Band 2" /tmp/mon-a-hci0.txt; then
  pass a "hci1 advertises $BAND (static random) with the Mi Band 2 advertising data and scan response"
else
  fail a "no Mi Band 2 advertising from $BAND seen on hci0"
fi

link_gone

# ---- (c) pair, info, stream over a real L2CAP LE link to the random address ---
C=ok
t0=$(now)
timeout 30 $BW pair $DEV > /tmp/pair.log 2>&1; rc=$?
show pair /tmp/pair.log
log "pair exit $rc in $(elapsed $t0) s"
[ $rc = 0 ] || C="pair exit $rc"
link_gone || C="link did not drop after pair"
t0=$(now)
timeout 30 $BW info $DEV > /tmp/info.log 2>&1; rc=$?
show info /tmp/info.log
log "info exit $rc in $(elapsed $t0) s"
[ $rc = 0 ] && grep -q "MI Band 2\|V1.0.1.69" /tmp/info.log || C="info exit $rc"
link_gone || C="link did not drop after info"
t0=$(now)
timeout 40 $BW stream $DEV --duration 5 --output /tmp/stream.jsonl > /tmp/stream.log 2>&1; rc=$?
show stream /tmp/stream.log
HR=$(grep -c '"kind":"hr"' /tmp/stream.jsonl 2>/dev/null); ACC=$(grep -c '"kind":"accel"' /tmp/stream.jsonl 2>/dev/null)
PPG=$(grep -c '"kind":"ppg"' /tmp/stream.jsonl 2>/dev/null)
log "stream exit $rc in $(elapsed $t0) s: $HR hr, $ACC accel, $PPG ppg records"
[ $rc = 0 ] && [ "${HR:-0}" -gt 0 ] && [ "${ACC:-0}" -gt 0 ] && [ "${PPG:-0}" -gt 0 ] || C="stream exit $rc, $HR hr $ACC accel $PPG ppg"
link_gone || C="link did not drop after stream"
show sim /tmp/sim.log
LINKS=$(grep -c "link closed" /tmp/sim.log)
[ "$LINKS" -ge 3 ] || C="the sim saw $LINKS closed links, expected 3"
if [ "$C" = ok ]; then
  pass c "pair + info + stream ($HR hr, $ACC accel, $PPG ppg records) over L2CAP LE to $BAND (random), each link closed cleanly"
else
  fail c "$C"
fi

# ---- (d) BT_SECURITY medium: Just Works pairing, encrypted link ---------------
$BW agent --adapter hci0 > /tmp/agent.log 2>&1 &
AGENT=$!
sleep 0.3
D=ok
# Counted before and after: no earlier case encrypted anything.
btmon -r /tmp/cap.btsnoop > /tmp/mon-d0.txt 2>&1
ENC0=$(grep -c "LE Start Encryption" /tmp/mon-d0.txt); ON0=$(grep -c "Encryption: Enabled" /tmp/mon-d0.txt)
timeout 30 kernel_probe security hci0 $BAND 2 8 > /tmp/probe.log 2>&1; rc=$?
show probe /tmp/probe.log
[ $rc = 0 ] || D="kernel_probe exit $rc"
link_gone || D="link did not drop after the probe"
t0=$(now)
timeout 30 $BW info $DEV --security medium > /tmp/info2.log 2>&1; rc=$?
show info /tmp/info2.log
log "info --security medium exit $rc in $(elapsed $t0) s"
[ $rc = 0 ] || D="info --security medium exit $rc"
link_gone || D="link did not drop after info --security medium"
kill $AGENT 2>/dev/null
show agent /tmp/agent.log
# btmon: encryption started on hci0 after the mark, and the controllers agree.
btmon -r /tmp/cap.btsnoop > /tmp/mon-d.txt 2>&1
ENC=$(( $(grep -c "LE Start Encryption" /tmp/mon-d.txt) - ENC0 )); ON=$(( $(grep -c "Encryption: Enabled" /tmp/mon-d.txt) - ON0 ))
log "btmon: $ENC LE Start Encryption and $ON Encryption Change (enabled) lines in case d"
grep -q "accepted pairing" /tmp/agent.log || D="the hci0 agent answered no pairing request"
# Two links (probe, info), each: the command on hci0, the change on both.
[ "$ENC" -ge 2 ] && [ "$ON" -ge 4 ] || D="btmon shows $ENC LE Start Encryption and $ON encryption enabled"
if [ "$D" = ok ]; then
  pass d "BT_SECURITY medium reached level 2 (Just Works, agents on both sides), encrypted reads; bandwire info --security medium ok"
else
  fail d "$D"
fi

# ---- (e) BlueZ gatttool, an independent client, reads the virtual band -------
gatttool -i hci0 -b $BAND -t random --primary > /tmp/primary.log 2>&1; rc=$?
show gatttool /tmp/primary.log
link_gone
gatttool -i hci0 -b $BAND -t random --char-read -a 0x0003 > /tmp/read.log 2>&1; rc2=$?
show gatttool /tmp/read.log
NAME=$(sed -n 's/.*descriptor: //p' /tmp/read.log | tr -d ' \r' | sed 's/\(..\)/\\x\1/g')
NAME=$(printf "$NAME")
link_gone
if [ $rc = 0 ] && grep -q "uuid: 00001800-" /tmp/primary.log && grep -q "uuid: 0000fee0-" /tmp/primary.log \
   && grep -q "uuid: 0000180d-" /tmp/primary.log && [ "$NAME" = "MI Band 2" ]; then
  pass e "gatttool --primary lists $(grep -c 'attr handle' /tmp/primary.log) services (1800, 180d, fee0...); --char-read 0x0003 = \"$NAME\""
else
  fail e "gatttool --primary exit $rc, --char-read exit $rc2 \"$NAME\""
fi

# ---- (f) an absent device fails within the bounded time -----------------------
t0=$(now)
timeout 30 $BW info --device $ABSENT --addr-type random --adapter hci0 --state-dir /tmp/state --timeout 3 > /tmp/absent.log 2>&1; rc=$?
T=$(elapsed $t0)
show absent /tmp/absent.log
if [ $rc = 3 ] && awk -v t="$T" 'BEGIN { exit !(t < 5) }' && grep -q "timed out" /tmp/absent.log; then
  pass f "connect to absent $ABSENT failed in $T s with exit 3 and a clear message"
else
  fail f "absent device: exit $rc after $T s"
fi

kill $SIM 2>/dev/null; sleep 0.5
show sim /tmp/sim.log
grep -q "advertising again" /tmp/sim.log && log "the sim advertised again after each link"

# ---- (g) the btmon capture goes to the host ----------------------------------
kill -INT $BTMON 2>/dev/null; sleep 0.5
log "btsnoop capture: $(wc -c < /tmp/cap.btsnoop) bytes"
echo "KT-BTSNOOP-BEGIN"
base64 /tmp/cap.btsnoop
echo "KT-BTSNOOP-END"

dmesg | grep -E "Bluetooth: hci|alg: .*fail|ecdh" | tail -15 | sed 's/^/KT-OUT dmesg| /'
if [ $FAILS = 0 ]; then echo "KT-RESULT PASS"; B='\000'; else echo "KT-RESULT FAIL ($FAILS cases)"; B='\001'; fi
# isa-debug-exit: qemu exits with (byte << 1) | 1, so 1 = pass, 3 = fail.
printf "$B" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f

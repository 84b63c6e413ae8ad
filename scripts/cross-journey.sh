#!/usr/bin/env bash
# One end-to-end journey of a bandwire executable, normally an ARM one under
# qemu-user (scripts/cross.sh): `sim --listen` on a unix socket, `pair`, then
# `stream --duration 10`, with the records counted and checked.
#
#   cross-journey.sh [--measure] RUNNER EXE
#
# RUNNER runs EXE (qemu-aarch64-static, qemu-arm-static, or env for a host
# executable). With --measure it also prints the heap peak of the stream
# process (measured inside it, tools/heap_report.hpp), the stripped size and
# the CPU time the stream took, which is the emulator's when RUNNER is qemu.
# The journey fails on a failed command, a record that is not JSON, or too
# few records of a kind; it takes about 15 s of wall time.
set -euo pipefail
measure=0
[[ ${1:-} == --measure ]] && { measure=1; shift; }
runner=${1:?usage: cross-journey.sh [--measure] RUNNER EXE}
exe=${2:?usage: cross-journey.sh [--measure] RUNNER EXE}
[[ -x $exe ]] || { echo "journey: $exe is not executable" >&2; exit 1; }
name=$(realpath "$exe" | grep -o "build[^/]*" | tail -1 || true)  # e.g. build-aarch64
name=${name:-$exe}
dir=$(mktemp -d /tmp/bandwire-journey-XXXXXX)
sim_pid=
cleanup() {
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "journey $name: FAILED: $*" >&2; for f in "$dir"/*.err; do [[ -s $f ]] && { echo "--- $f"; tail -20 "$f"; }; done >&2; exit 1; }

sock=$dir/band.sock
dev=(--device "unix:$sock" --state-dir "$dir/state")
# The sim stops by itself after 120 s, whatever happens to this script.
$runner "$exe" sim --listen "unix:$sock" --duration 120 >"$dir/sim.out" 2>"$dir/sim.err" &
sim_pid=$!
for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || fail "sim did not listen within 10 s"

timeout 60 $runner "$exe" pair "${dev[@]}" >"$dir/pair.out" 2>"$dir/pair.err" || fail "pair exited $?"
grep -q "saved to $dir/state/keys/" "$dir/pair.err" || fail "pair did not save a key"

TIMEFORMAT='%U %S'
{ time BANDWIRE_HEAP_REPORT=$dir/heap timeout 60 $runner "$exe" stream "${dev[@]}" --duration 10 \
    --output "$dir/records.jsonl" >"$dir/stream.out" 2>"$dir/stream.err"; } 2>"$dir/cpu" ||
  fail "stream exited $?"

# Every line is one JSON record; count them by kind.
read -r accel ppg hr gap other < <(python3 - "$dir/records.jsonl" <<'PY'
import collections, json, sys
n = collections.Counter()
for line in open(sys.argv[1]):
    n[json.loads(line)["kind"]] += 1
print(n["accel"], n["ppg"], n["hr"], n["gap"], sum(n.values()) - n["accel"] - n["ppg"] - n["hr"] - n["gap"])
PY
) || fail "a record is not JSON"
# The counters line ("N packets, N lost, ..."); the measured rates follow it.
summary=$(grep -m1 ' packets, ' "$dir/stream.err" || true)
echo "journey $name: pair ok; stream 10 s: $accel accel, $ppg ppg, $hr hr, $gap gap records ($summary)"
# The band sends 25 Hz accel and PPG from about 1.4 s after the start and a
# heart rate every few seconds (fact sheet §11, §12); qemu-user is slower
# than a Pi but not so slow that half the samples go missing.
((accel >= 100 && ppg >= 100 && hr >= 1 && gap == 0 && other == 0)) || fail "too few records, or a gap"
[[ $summary == *", 0 lost,"* ]] || fail "packets lost: $summary"

if ((measure)); then
  read -r user sys <"$dir/cpu"
  peak=$(awk '/heap_peak_bytes/{print $2}' "$dir/heap")
  in_use=$(awk '/heap_in_use_at_exit_bytes/{print $2}' "$dir/heap")
  [[ -n $peak && $peak -gt 0 ]] || fail "no heap report"
  echo "measure $name: heap peak $peak bytes while streaming (in use at exit $in_use)"
  echo "measure $name: stripped size $(stat -c %s "$exe") bytes"
  kind="on this host"
  [[ $runner == qemu-* ]] && kind="EMULATED by $runner on this host, not a board's"
  echo "measure $name: CPU time of the 10 s stream ${user} s user + ${sys} s sys ($kind)"
fi

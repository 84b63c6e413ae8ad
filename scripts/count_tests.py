#!/usr/bin/env python3
"""Counts test results in a meson testlog.json. Prints "<passed> <failed> <skipped>".

A doctest suite counts by its test cases (its "[doctest] test cases: N | P
passed | F failed | S skipped" line). A test case that skipped itself (it
needs ../shared or a tool this machine lacks: it reports a MESSAGE starting
"SKIPPED:" and returns, see tests/support/shared_dir.hpp) passed as far as
doctest knows; it is moved from passed to skipped. Any other test counts as
one; a meson SKIP result (e.g. the kernel suite without root or qemu) is
skipped."""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed"
                     r"(?:\s*\|\s*(\d+) skipped)?")
# doctest's console reporter heads each message with the test case's name:
#   TEST CASE:  <name>
#   <file>:<line>: MESSAGE: <text>
TEST_CASE = re.compile(r"^TEST CASE:\s+(.*?)\s*$")
SKIP_MESSAGE = re.compile(r": MESSAGE: SKIPPED:")


def self_skipped(stdout: str) -> int:
    """Distinct test cases that reported "SKIPPED:"."""
    names, current = set(), None
    for line in stdout.splitlines():
        m = TEST_CASE.match(line)
        if m:
            current = m.group(1)
        elif current is not None and SKIP_MESSAGE.search(line):
            names.add(current)
    return len(names)


def count(lines):
    passed = failed = skipped = 0
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get("result")
        if result == "SKIP":
            skipped += 1
            continue
        ok = result == "OK"
        stdout = t.get("stdout", "") or ""
        m = SUMMARY.findall(stdout)
        if m:
            _, p, fl, s = m[-1]
            p, fl = int(p), int(fl)
            self_skip = min(self_skipped(stdout), p)
            passed += p - self_skip
            failed += fl
            skipped += self_skip + int(s or 0)
            if not ok and fl == 0:
                failed += 1  # crashed or timed out after its summary
        elif ok:
            passed += 1
        else:
            failed += 1
    return passed, failed, skipped


if __name__ == "__main__":
    try:
        with open(sys.argv[1]) as f:
            print(*count(f))
    except FileNotFoundError:
        print(0, 0, 0)

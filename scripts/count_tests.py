#!/usr/bin/env python3
"""Counts test results in a meson testlog.json: doctest suites by their test
cases (from the "[doctest] test cases: N | P passed | F failed" line), any
other test as one. Prints "<passed> <failed>"."""
import json
import re
import sys

passed = failed = 0
pattern = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
try:
    with open(sys.argv[1]) as f:
        for line in f:
            t = json.loads(line)
            result = t.get("result")
            if result == "SKIP":  # e.g. the kernel suite without root or qemu
                continue
            ok = result == "OK"
            m = pattern.findall(t.get("stdout", "") or "")
            if m:
                _, p, fl = map(int, m[-1])
                passed += p
                failed += fl
                if not ok and fl == 0:
                    failed += 1  # crashed or timed out after its summary
            elif ok:
                passed += 1
            else:
                failed += 1
except FileNotFoundError:
    pass
print(passed, failed)

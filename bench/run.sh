#!/bin/sh
# bandwire's benchmark suite: every row of issue 11 as a ratio against its
# anchor measured in the same run (bench/run.py; README "Performance").
#   bench/run.sh [--quick] [--only connect|decode|notify|stream|startup]...
# Builds release trees build-bench/ and build-bench-static/ when missing.
exec python3 "$(dirname "$0")/run.py" "$@"

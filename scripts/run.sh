#!/usr/bin/env bash
# Sets up, builds and runs bandwire's main job: a stream from the virtual
# Mi Band 2. Arguments, if any, replace the default command line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[[ -d build ]] || meson setup build >/dev/null
ninja -C build tools/bandwire >/dev/null
if (($#)); then
  exec build/tools/bandwire "$@"
fi
exec build/tools/bandwire stream --device sim --duration 30

#!/usr/bin/env bash
# Configures and builds cutover in ./build (warnings are errors).
#   scripts/build.sh            everything, tests included
#   scripts/build.sh TARGET...  only those targets (the demo builds the tool and drivers)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUTOVER_WARNINGS_AS_ERRORS=ON >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"

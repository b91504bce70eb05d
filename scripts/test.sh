#!/usr/bin/env bash
# README command 2: set up, build, start throwaway PostgreSQL and MariaDB
# servers, run the full test suite (ctest), stop the servers (also on failure),
# then the sanitizer and fuzzing pass (scripts/fuzz.sh: a clang build with
# ASan+UBSan, the server-free unit tests under it, each fuzz target for a
# fixed number of inputs from a fixed seed).
# Tests run one at a time: snapshot tests take MariaDB's global read lock and
# PostgreSQL ACCESS SHARE locks on the shared test servers, which tests running
# beside them would otherwise wait on.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bash scripts/test-servers.sh run \
  ctest --test-dir build --output-on-failure --no-tests=error -j 1 --timeout 900
bash scripts/fuzz.sh

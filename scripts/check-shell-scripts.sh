#!/usr/bin/env bash
# Fails when a shell script of the repository has a shellcheck warning or
# error (bench/, scripts/, .ci/, tests/): these scripts run under set -e,
# where a slip (a `[ ... ] &&` as a block's last command) ends a run
# silently.
#
#   scripts/check-shell-scripts.sh     exit 0 when clean, 1 listing each finding
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck > /dev/null; then
  echo "check-shell-scripts: shellcheck is not installed: run scripts/setup.sh (it installs it)" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.sh' .ci/run 2> /dev/null || find bench scripts tests .ci -name '*.sh' -o -name run)
if shellcheck -S warning "${files[@]}"; then
  echo "check-shell-scripts: ${#files[@]} scripts, no shellcheck warning"
else
  echo "check-shell-scripts: fix the findings above (https://www.shellcheck.net/wiki/ names each)" >&2
  exit 1
fi

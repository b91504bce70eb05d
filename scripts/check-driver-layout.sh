#!/usr/bin/env bash
# Checks that every driver folder has the same file set (docs/driver-interface.md,
# "A driver's files"): one file per role, named <engine>_<role>.cc (or .h), and
# every other file named <engine>_<role>_<what>.cc/.h after the role it helps.
#
#   scripts/check-driver-layout.sh [DRIVERS_DIR]    (default: drivers/ of this repository)
#
# Exits 1 naming each missing role file and each file outside the layout; 0
# when every folder conforms.
set -euo pipefail

drivers_dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/drivers"}
# Role files every driver has (a role file may be short for an engine with
# little in that role).
required=(internal.h driver.cc connection.cc errors.cc script.cc schema.cc ddl.cc snapshot.cc bulk.cc
  locks.cc integrity.cc test.cc)
roles="internal|driver|connection|errors|script|schema|ddl|snapshot|bulk|locks|integrity|test"

[ -d "$drivers_dir" ] || { echo "check-driver-layout: no directory $drivers_dir" >&2; exit 1; }
problems=0
folders=0
for dir in "$drivers_dir"/*/; do
  [ -d "$dir" ] || continue
  folders=$((folders + 1))
  engine=$(basename "$dir")
  for role in "${required[@]}"; do
    if [ ! -f "$dir/${engine}_${role}" ]; then
      echo "check-driver-layout: drivers/$engine: missing role file ${engine}_${role}" >&2
      problems=$((problems + 1))
    fi
  done
  for path in "$dir"*; do
    name=$(basename "$path")
    [ "$name" = CMakeLists.txt ] && continue
    if [ -d "$path" ]; then
      echo "check-driver-layout: drivers/$engine/$name: subdirectories are not part of the layout" >&2
      problems=$((problems + 1))
      continue
    fi
    if [[ ! "$name" =~ ^${engine}_(${roles})(_[a-z0-9_]+)?\.(cc|h)$ ]]; then
      echo "check-driver-layout: drivers/$engine/$name: not named ${engine}_<role>.cc/.h or" \
        "${engine}_<role>_<what>.cc/.h (roles: ${roles//|/, })" >&2
      problems=$((problems + 1))
    fi
  done
done
if [ "$folders" -eq 0 ]; then
  echo "check-driver-layout: no driver folders under $drivers_dir" >&2
  exit 1
fi
if [ "$problems" -gt 0 ]; then
  echo "check-driver-layout: $problems problem(s); see docs/driver-interface.md, \"A driver's files\"" >&2
  exit 1
fi
echo "check-driver-layout: $folders driver folders follow the role layout"

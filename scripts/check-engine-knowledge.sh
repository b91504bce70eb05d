#!/usr/bin/env bash
# Fails when engine knowledge leaks into the core: an engine-name string
# literal ("postgresql", "MariaDB", ...) or a comparison with
# server_info().product anywhere under src/ outside the allow-list below.
# Engine knowledge belongs in the driver plugins (drivers/), behind
# src/driver/driver.h. Comments and tests (*_test.cc) do not count.
#
#   scripts/check-engine-knowledge.sh        exit 0 when clean, 1 naming each leak
set -euo pipefail
cd "$(dirname "$0")/.."

# path-prefix  why it may name engines
ALLOW=(
  "src/lint/"          # lint rules are per engine by design (docs/lint-rules.md)
  "src/plan/plan.cc"   # plan::EngineName: the names of lint's per-engine rule sets
  "src/catalog/catalog.cc"  # the catalog is an SQLite database by design (docs/catalog.md)
)

pattern='"(postgresql|postgres|mysql|mariadb|sqlite|PostgreSQL|MariaDB|MySQL|SQLite)"|server_info\(\)\.product[[:space:]]*[!=]='
leaks=0
while IFS= read -r hit; do
  file=${hit%%:*}
  allowed=0
  for prefix in "${ALLOW[@]}"; do
    [[ $file == "$prefix"* ]] && allowed=1
  done
  [ "$allowed" = 1 ] && continue
  # Drop a trailing comment ("  // ...") and re-check the code part.
  rest=${hit#*:}; line=${rest%%:*}; code=${rest#*:}
  code=$(printf '%s' "$code" | sed -E 's#[[:space:]]//[[:space:]].*$##; s#^[[:space:]]*//.*$##')
  printf '%s' "$code" | grep -qE "$pattern" || continue
  echo "engine knowledge in the core: $file:$line: $(printf '%s' "$code" | sed -E 's/^[[:space:]]+//')"
  leaks=$((leaks + 1))
done < <(grep -rnE "$pattern" src --include='*.cc' --include='*.h' | grep -v '_test\.cc:' || true)

if [ "$leaks" -gt 0 ]; then
  echo "check-engine-knowledge: $leaks leak(s). Move the engine-specific work into a driver-interface call" \
       "(src/driver/driver.h, implemented in each plugin under drivers/), or, if it is per-engine by design," \
       "add the file to ALLOW in $0 with the reason." >&2
  exit 1
fi
echo "check-engine-knowledge: no engine names or product comparisons in src/ outside the allow-list"

#!/usr/bin/env bash
# Rehearsal benchmark on PostgreSQL: what a rehearsal costs beyond the work it must do, how much
# a repeat rehearsal saves by cloning, how close its estimates come to a real `apply`, and its
# peak memory. Same run, same server, printed as ratios with PASS/MISS:
#
#   overhead    rehearse wall time - (copy + every statement run on the copy)
#                                                         <= 10% of (copy + statements) + 2 s
#   repeat      copy time of a second rehearsal (clone of the kept base copy)
#               vs a full restore of the snapshot (`cutover restore-test` wall time)   <= 0.30
#   estimate    the rehearsal's estimate of each expand statement
#               vs `cutover apply` of the same file on the original (statements over 1 s)
#                                                                           within +-25%
#   memory      peak RSS of `cutover rehearse` (/usr/bin/time)                  < 256 MiB
#
# The plan: 0001 CREATE INDEX on the table, 0002 ALTER COLUMN ... TYPE bigint (a rewrite), each
# with its rollback, so the rehearsal also runs the rollback drill.
#
# Usage:
#   eval "$(bash scripts/test-servers.sh env)"     # or CUTOVER_BENCH_PG_URI=postgresql://...
#   bench/rehearse_bench.sh [--rows N]             # default 2,000,000 rows
#
# Environment: CUTOVER_BIN (default build/cutover), CUTOVER_BENCH_PG_URI (default
# $CUTOVER_TEST_PG_URI; the role must be allowed to CREATE DATABASE), STRICT=1 (exit 1 when a
# target is missed), KEEP=1 (keep the work directory and the bench database).
#
# Exit status: 0 measured, 1 a target missed with STRICT=1, 2 usage error, 3 a step failed.
#
# The figures depend on the server's settings: the test servers run with fsync=off, which
# flatters every write. Measure on servers configured like production:
# bash scripts/test-servers.sh --profile durable start (its env file sets CUTOVER_BENCH_PG_URI).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROWS=2000000
log() { printf 'rehearse_bench: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 3; }
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument $1 (see --help)"; exit 2 ;;
  esac
done
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || { log "--rows must be a positive integer"; exit 2; }
CUTOVER_BIN=${CUTOVER_BIN:-$SCRIPT_DIR/../build/cutover}
[ -x "$CUTOVER_BIN" ] || { log "cutover binary not found: $CUTOVER_BIN"; exit 2; }
CUTOVER_BIN=$(cd "$(dirname "$CUTOVER_BIN")" && pwd)/$(basename "$CUTOVER_BIN")
PG_URI=${CUTOVER_BENCH_PG_URI:-${CUTOVER_TEST_PG_URI:-}}
[ -n "$PG_URI" ] || { log "set CUTOVER_BENCH_PG_URI or CUTOVER_TEST_PG_URI"; exit 2; }
[ -x /usr/bin/time ] || { log "/usr/bin/time not found (apt-get install time)"; exit 2; }
command -v jq >/dev/null || { log "jq not found (apt-get install jq)"; exit 2; }
command -v bc >/dev/null || { log "bc not found (apt-get install bc)"; exit 2; }
STRICT=${STRICT:-0}

# The server URI without its database; the bench database and the scratch server on it.
SERVER=${PG_URI%%\?*}
SERVER=${SERVER%/*}
DB=cutover_bench_rehearse
TARGET=$SERVER/$DB
SCRATCH=$SERVER/postgres
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cutover-rehearse-bench.XXXXXX")
chmod 700 "$WORK"
cd "$WORK"
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    psql -q "$SCRATCH" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  else
    log "kept $WORK and database $DB"
  fi
}
trap cleanup EXIT
cutover() { "$CUTOVER_BIN" --repo "$WORK/repo" --no-progress "$@"; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }

log "loading $ROWS rows into $DB"
psql -q "$SCRATCH" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null ||
  fail "cannot create $DB on $SCRATCH"
psql -q "$TARGET" >/dev/null <<SQL || fail "loading the table"
CREATE TABLE bench_items (id bigint PRIMARY KEY, name text NOT NULL, qty integer NOT NULL, note text);
INSERT INTO bench_items SELECT g, 'item ' || g, g % 97, CASE WHEN g % 3 = 0 THEN md5(g::text) END
FROM generate_series(1, $ROWS) AS g;
VACUUM ANALYZE bench_items;
SQL
mkdir -p plan/0001_index plan/0002_widen
echo "CREATE INDEX bench_items_qty ON bench_items (qty);" > plan/0001_index/expand.sql
echo "DROP INDEX bench_items_qty;" > plan/0001_index/rollback.sql
echo "ALTER TABLE bench_items ALTER COLUMN qty TYPE bigint;" > plan/0002_widen/expand.sql
echo "ALTER TABLE bench_items ALTER COLUMN qty TYPE integer;" > plan/0002_widen/rollback.sql

cutover snapshot "$TARGET" >/dev/null || fail "snapshot"
t0=$(now)
cutover restore-test latest --scratch "$SCRATCH" >/dev/null || fail "restore-test"
restore=$(secs "$t0" "$(now)")

t0=$(now)
/usr/bin/time -f %M -o rss1 "$CUTOVER_BIN" --repo "$WORK/repo" --no-progress --json rehearse "$TARGET" \
  --plan plan --scratch "$SCRATCH" > first.json 2> first.err || fail "first rehearsal: $(tail -3 first.err)"
wall1=$(secs "$t0" "$(now)")
/usr/bin/time -f %M -o rss2 "$CUTOVER_BIN" --repo "$WORK/repo" --no-progress --json rehearse "$TARGET" \
  --plan plan --scratch "$SCRATCH" > second.json 2> second.err || fail "second rehearsal: $(tail -3 second.err)"
[ "$(jq -r .copy.method second.json)" = cloned ] || fail "the second rehearsal did not clone: $(jq -c .copy second.json)"
# The bench compares estimates with the real statements, not the gate (no
# verify ran): the override is recorded in the bench repository's audit log.
cutover --json apply "$TARGET" --plan plan --phase expand --no-gate --reason "rehearse_bench: estimate vs apply" \
  > apply.json 2> apply.err || fail "apply: $(tail -3 apply.err)"

copy1=$(jq '.copy.seconds' first.json)
stmts1=$(jq '[.statements[].duration_ms] | add / 1000' first.json)
overhead=$(echo "$wall1 - $copy1 - $stmts1" | bc -l)
allowed=$(echo "0.10 * ($copy1 + $stmts1) + 2" | bc -l)
copy2=$(jq '.copy.seconds' second.json)
ratio=$(echo "$copy2 / $restore" | bc -l)
rss=$(( $(sort -n rss1 rss2 | tail -1) / 1024 ))
missed=0
verdict() { if [ "$1" = 1 ]; then echo PASS; else missed=1; echo MISS; fi; }

printf '\nrehearse_bench: PostgreSQL, %s rows (%s)\n' "$ROWS" "$(psql -Atq "$TARGET" -c "SELECT pg_size_pretty(pg_database_size('$DB'))")"
printf '%-10s %-64s %s\n' check figure verdict
printf '%-10s %-64s %s\n' overhead "$(printf '%.2f s beyond copy %.2f s + statements %.2f s (allowed %.2f s)' \
  "$overhead" "$copy1" "$stmts1" "$allowed")" "$(verdict "$(echo "$overhead <= $allowed" | bc -l)")"
printf '%-10s %-64s %s\n' repeat "$(printf 'clone %.2f s / full restore %.2f s = %.2f (target <= 0.30)' \
  "$copy2" "$restore" "$ratio")" "$(verdict "$(echo "$ratio <= 0.30" | bc -l)")"
for file in 0001_index/expand.sql 0002_widen/expand.sql; do
  est=$(jq --arg f "$file" '[.statements[] | select(.file == $f and (.drill | not))][0].estimate_ms.duration' first.json)
  real=$(jq --arg f "$file" '[.steps[] | select(.file == $f)][0].duration_ms' apply.json)
  r=$(echo "$est / $real" | bc -l)
  if [ "$(echo "$real < 1000" | bc -l)" = 1 ]; then v="(under 1 s: shown)"; else v=$(verdict "$(echo "$r >= 0.75 && $r <= 1.25" | bc -l)"); fi
  printf '%-10s %-64s %s\n' estimate "$(printf '%s: estimate %.0f ms / apply %.0f ms = %.2f' "$file" "$est" "$real" "$r")" "$v"
done
printf '%-10s %-64s %s\n' memory "$(printf 'peak RSS %d MiB (target < 256)' "$rss")" "$(verdict "$( [ $rss -lt 256 ] && echo 1 || echo 0)")"
printf 'blocked (first rehearsal, first run of each statement, ms): %s\n' \
  "$(jq -c '[.statements[] | select(.drill | not) | {file, read: .blocked_ms.read, write: .blocked_ms.write}]' first.json)"
[ "$STRICT" = 1 ] && [ "$missed" = 1 ] && exit 1
exit 0

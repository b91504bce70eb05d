#!/usr/bin/env bash
# README command 1: set up, build, and walk through cutover's safety checks on
# the embedded SQLite default (no server needed):
#   1. create the online-shop sample database from fixtures/sqlite/shop.sql
#   2. list the driver plugins
#   3. print its normalized schema and save it as JSON (with its fingerprint)
#   4. change a copy the way a hurried hot-fix would, and show the drift report
#   5. show that the original has no drift against its own DDL file
#   6. take a verified snapshot, verify it (--deep), restore-test it
#   7. damage one byte of the snapshot and show verify and restore-test fail
#   8. list the snapshots with their verification and restore-test results
#   9. lint the SQLite example migrations, record the baseline, see apply
#      refuse without evidence, snapshot and restore-test again, rehearse one
#      migration (split a column) on a copy while probes measure what the
#      application would feel, ask the gate, then apply it through expand,
#      backfill and contract (new evidence after the expand), with status and
#      drift against the history
#  10. the audit log of all of it, its head anchored, and a hand edit caught
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh cutover cutover_driver_sqlite cutover_driver_postgresql cutover_driver_mysql

CUTOVER=./build/cutover
DEMO=build/demo
rm -rf "$DEMO"
mkdir -p "$DEMO"
chmod 700 "$DEMO"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "1. Create the sample shop database ($DEMO/shop.db)"
sqlite3 "$DEMO/shop.db" < fixtures/sqlite/shop.sql
echo "created: $(sqlite3 "$DEMO/shop.db" "SELECT count(*) FROM sqlite_schema WHERE type='table'") tables"

step "2. Driver plugins"
$CUTOVER drivers

step "3. The normalized schema (cutover schema sqlite:$DEMO/shop.db)"
$CUTOVER schema "sqlite:$DEMO/shop.db"
$CUTOVER schema "sqlite:$DEMO/shop.db" --json > "$DEMO/shop.schema.json"
echo "saved $DEMO/shop.schema.json ($(grep -m1 fingerprint "$DEMO/shop.schema.json" | tr -d ' ,'))"

step "4. A hot-fix changed production by hand: drift against the saved schema"
cp "$DEMO/shop.db" "$DEMO/shop-hotfixed.db"
sqlite3 "$DEMO/shop-hotfixed.db" <<'SQL'
ALTER TABLE customers ADD COLUMN loyalty_points INTEGER NOT NULL DEFAULT 0;
DROP INDEX orders_open;
CREATE INDEX orders_tmp_debug ON orders (status);
SQL
set +e
$CUTOVER drift "sqlite:$DEMO/shop-hotfixed.db" --against "$DEMO/shop.schema.json"
rc=$?
set -e
echo "exit code: $rc (1 = drift found; a pipeline stops here)"
[ "$rc" = 1 ] || { echo "demo: expected drift (exit 1), got $rc" >&2; exit 1; }

step "5. The original database against its DDL file (applied to a scratch database)"
$CUTOVER drift "sqlite:$DEMO/shop.db" --against fixtures/sqlite/shop.sql
echo "exit code: 0 (no drift)"

REPO="$DEMO/repo"
step "6. A verified snapshot: snapshot, verify --deep, restore-test (cutover --repo $REPO ...)"
$CUTOVER --repo "$REPO" snapshot "sqlite:$DEMO/shop.db"
SNAP=$($CUTOVER --repo "$REPO" snapshots --json | sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | tail -1)
$CUTOVER --repo "$REPO" verify "$SNAP" --deep
$CUTOVER --repo "$REPO" restore-test "$SNAP" --metrics-file "$DEMO/restore-test.prom"
echo "Prometheus textfile metrics: $(grep -c '^cutover_' "$DEMO/restore-test.prom") series in $DEMO/restore-test.prom"

step "7. One flipped byte in a data chunk: verify and restore-test both refuse it"
CHUNK=$(ls "$REPO/snapshots/$SNAP/data" | head -1)
cp "$REPO/snapshots/$SNAP/data/$CHUNK" "$DEMO/chunk.bak"
byte=$(od -An -tu1 -j20 -N1 "$REPO/snapshots/$SNAP/data/$CHUNK" | tr -d ' ')
printf "\\$(printf %03o $(( (byte + 1) % 256 )))" |
  dd of="$REPO/snapshots/$SNAP/data/$CHUNK" bs=1 seek=20 conv=notrunc status=none
set +e
$CUTOVER --repo "$REPO" verify "$SNAP"
rc_verify=$?
$CUTOVER --repo "$REPO" restore-test "$SNAP"
rc_test=$?
set -e
echo "exit codes: verify $rc_verify, restore-test $rc_test (1 = verification failed)"
[ "$rc_verify" = 1 ] && [ "$rc_test" = 1 ] || { echo "demo: expected both to fail with exit 1" >&2; exit 1; }
cp "$DEMO/chunk.bak" "$REPO/snapshots/$SNAP/data/$CHUNK"

step "8. The repository: snapshots with their last verification and restore test"
$CUTOVER --repo "$REPO" snapshots

PLAN=migrations-examples/sqlite
SPLIT=0002_split_customer_name
step "9. Migrations: lint the example plan, rehearse $SPLIT on a copy, ask the gate, then apply it"
$CUTOVER lint "$PLAN" --engine sqlite --from 0001_add_order_loyalty_points
# The shop existed before cutover managed it: record the baseline without running it.
$CUTOVER --repo "$REPO" apply "sqlite:$DEMO/shop.db" --plan "$PLAN" --baseline --to 0000_shop_baseline
# apply obeys the gate: with no rehearsal yet it refuses, naming the failed
# checks and the commands that fix them, and changes nothing.
set +e
$CUTOVER --repo "$REPO" apply "sqlite:$DEMO/shop.db" --plan "$PLAN" --phase expand --to "$SPLIT" 2>&1 |
  sed -n '1p;$p'
rc=${PIPESTATUS[0]}
set -e
echo "apply exit code: $rc (1 = refused by the gate: NO-GO)"
[ "$rc" = 1 ] || { echo "demo: expected apply to refuse with exit 1, got $rc" >&2; exit 1; }
# Rehearse on a copy of a snapshot that passed a restore test (the shop now has
# a history table, so take a fresh one): the plan runs on the copy with probes
# reading and writing the tables each statement touches, a rollback drill per
# migration, and estimates for production. The shop itself is only read.
evidence() {
  $CUTOVER --repo "$REPO" snapshot "sqlite:$DEMO/shop.db" >/dev/null
  $CUTOVER --repo "$REPO" verify latest >/dev/null
  $CUTOVER --repo "$REPO" restore-test latest >/dev/null
}
evidence
$CUTOVER --repo "$REPO" rehearse "sqlite:$DEMO/shop.db" --plan "$PLAN" --to "$SPLIT" \
  --junit "$DEMO/rehearsal.xml"
echo "rehearsal exit code: 0 (GO material for the gate); JUnit report in $DEMO/rehearsal.xml"
# The gate: every piece of evidence re-checked now (snapshot fresh, verified
# and restore-tested, history clean, no drift against the history's replay,
# lint, the rehearsal current and within the [policy] limits): GO or NO-GO.
$CUTOVER --repo "$REPO" gate "sqlite:$DEMO/shop.db" --plan "$PLAN" --phase expand --to "$SPLIT"
$CUTOVER --repo "$REPO" apply "sqlite:$DEMO/shop.db" --plan "$PLAN" --phase expand --to "$SPLIT"
# The expanded schema is new: backfill and contract need evidence about it (a
# snapshot taken after the expand, restore-tested, and a rehearsal of the
# remaining phases on it), or the gate says NO-GO. (Times are compared to the
# second: a snapshot in the same second as the expand would not count.)
sleep 1
evidence
$CUTOVER --repo "$REPO" rehearse "sqlite:$DEMO/shop.db" --plan "$PLAN" --to "$SPLIT" >/dev/null
for phase in backfill contract; do
  $CUTOVER --repo "$REPO" apply "sqlite:$DEMO/shop.db" --plan "$PLAN" --phase "$phase" --to "$SPLIT"
done
$CUTOVER status "sqlite:$DEMO/shop.db" --plan "$PLAN"
echo "customers now: $(sqlite3 "$DEMO/shop.db" "SELECT first_name || ' / ' || last_name FROM customers ORDER BY id LIMIT 1") ..."
$CUTOVER drift "sqlite:$DEMO/shop.db" --against history --plan "$PLAN"
sqlite3 "$DEMO/shop.db" "CREATE INDEX customers_hotfix ON customers (last_name)"
set +e
$CUTOVER drift "sqlite:$DEMO/shop.db" --against history --plan "$PLAN"
rc=$?
set -e
echo "exit code: $rc (1 = a hand-made change the migration history does not explain)"
[ "$rc" = 1 ] || { echo "demo: expected drift against the history (exit 1), got $rc" >&2; exit 1; }

step "10. The audit log: every snapshot, test, rehearsal, gate decision and apply, hash-chained"
$CUTOVER --repo "$REPO" audit | cut -c1-150 | tail -8
$CUTOVER --repo "$REPO" audit head > "$DEMO/audit-head.txt"
$CUTOVER --repo "$REPO" audit verify --head "$DEMO/audit-head.txt"
# Someone edits an entry in the catalog by hand: verify names it.
sqlite3 "$REPO/catalog.db" "UPDATE audit_log SET content = replace(content, '\"GO\"', '\"NO-GO\"') WHERE seq = (SELECT max(seq) FROM audit_log WHERE content LIKE '%\"decision\":\"GO\"%')"
set +e
$CUTOVER --repo "$REPO" audit verify --head "$DEMO/audit-head.txt"
rc=$?
set -e
echo "exit code: $rc (1 = the log was tampered with)"
[ "$rc" = 1 ] || { echo "demo: expected audit verify to fail with exit 1, got $rc" >&2; exit 1; }

printf '\nDemo complete.\n'

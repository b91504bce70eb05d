#!/usr/bin/env bash
# Schema-introspection benchmark: `cutover schema URI --json` against the engines'
# own schema dumpers on a large generated schema.
#
#   PostgreSQL: cutover schema --json   vs  pg_dump --schema-only
#   MariaDB:    cutover schema --json   vs  mariadb-dump --no-data
#
# Usage (with a built tree):
#   scripts/test-servers.sh run bench/schema_bench.sh
#   CUTOVER_BIN=build-bench/cutover bench/schema_bench.sh     # servers already started
#
# Environment:
#   CUTOVER_BENCH_PG_URI     server to use (default $CUTOVER_TEST_PG_URI); the database part
#                            is replaced by the bench database
#   CUTOVER_BENCH_MYSQL_URI  (default $CUTOVER_TEST_MYSQL_URI), mysql://user:pass@host:port/
#   CUTOVER_BIN              cutover binary (default: build/cutover in this checkout)
#   TABLES=2000              tables generated per engine
#   RUNS=3                   timed runs per tool (the median is reported)
#   WARMUP=1                 untimed runs per tool before timing (the first also validates output)
#   TARGET=0.5               required ratio cutover/peer (lower is better)
#   STRICT=1                 exit 1 when a target is missed (default: report only)
#   ENGINES="pg mysql"       engines to run
#   BENCH_DB=cutover_bench_schema  name of the generated database (dropped at the end)
#   KEEP_DB=1                do not drop the bench databases at the end (debugging)
#   PSQL, PG_DUMP, MARIADB, MARIADB_DUMP  client binaries (default: from PATH)
#
# Exit status: 0 measured (whatever the ratio unless STRICT=1), 1 a target missed with
# STRICT=1, 2 usage/configuration error, 3 a tool or the setup failed (no figure printed).
set -euo pipefail

TABLES=${TABLES:-2000}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
TARGET=${TARGET:-0.5}
STRICT=${STRICT:-0}
ENGINES=${ENGINES:-"pg mysql"}
BENCH_DB=${BENCH_DB:-cutover_bench_schema}
KEEP_DB=${KEEP_DB:-0}
CUTOVER_BIN=${CUTOVER_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/cutover}
PSQL=${PSQL:-psql}
PG_DUMP=${PG_DUMP:-pg_dump}
MARIADB=${MARIADB:-$(command -v mariadb || command -v mysql || echo mariadb)}
MARIADB_DUMP=${MARIADB_DUMP:-$(command -v mariadb-dump || command -v mysqldump || echo mariadb-dump)}
PG_URI=${CUTOVER_BENCH_PG_URI:-${CUTOVER_TEST_PG_URI:-}}
MY_URI=${CUTOVER_BENCH_MYSQL_URI:-${CUTOVER_TEST_MYSQL_URI:-}}

log() { printf 'schema_bench: %s\n' "$*" >&2; }
usage_error() { log "error: $*"; exit 2; }
fail() { log "error: $*"; exit 3; }

# ---------------------------------------------------------------- checks
if ! [[ $TABLES =~ ^[1-9][0-9]*$ ]] || [ "$TABLES" -gt 99999 ]; then
  usage_error "TABLES must be 1..99999 (got '$TABLES')"
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_error "RUNS must be a positive integer (got '$RUNS')"
[[ $WARMUP =~ ^[0-9]+$ ]] || usage_error "WARMUP must be a non-negative integer (got '$WARMUP')"
[[ $TARGET =~ ^[0-9]*\.?[0-9]+$ ]] || usage_error "TARGET must be a number (got '$TARGET')"
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || usage_error "BENCH_DB must match [a-z_][a-z0-9_]* (got '$BENCH_DB')"
[ -x "$CUTOVER_BIN" ] || usage_error "cutover binary not found or not executable: $CUTOVER_BIN (build it, or set CUTOVER_BIN)"

do_pg=0 do_my=0
for e in $ENGINES; do
  case $e in
    pg|postgres|postgresql) do_pg=1 ;;
    mysql|mariadb) do_my=1 ;;
    *) usage_error "unknown engine '$e' in ENGINES (use pg, mysql)" ;;
  esac
done
[ $((do_pg + do_my)) -gt 0 ] || usage_error "ENGINES is empty"

need() { command -v "$1" >/dev/null 2>&1 || usage_error "$1 not found (install it or set $2)"; }
if [ $do_pg = 1 ]; then
  [ -n "$PG_URI" ] || usage_error "no PostgreSQL URI: set CUTOVER_BENCH_PG_URI or CUTOVER_TEST_PG_URI (scripts/test-servers.sh run ...)"
  need "$PSQL" PSQL; need "$PG_DUMP" PG_DUMP
fi
if [ $do_my = 1 ]; then
  [ -n "$MY_URI" ] || usage_error "no MariaDB URI: set CUTOVER_BENCH_MYSQL_URI or CUTOVER_TEST_MYSQL_URI (scripts/test-servers.sh run ...)"
  need "$MARIADB" MARIADB; need "$MARIADB_DUMP" MARIADB_DUMP
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cutover-schema-bench.XXXXXX")

# ---------------------------------------------------------------- URIs
# with_db URI DB: the same URI with its database path replaced (query string kept).
with_db() {
  local re='^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)(/[^?#]*)?(\?[^#]*)?$'
  [[ $1 =~ $re ]] || return 1
  printf '%s/%s%s' "${BASH_REMATCH[1]}" "$2" "${BASH_REMATCH[3]}"
}
pct_decode() { local s=${1//+/%2B}; printf '%b' "${s//%/\\x}"; }

PG_ADMIN_URI='' PG_BENCH_URI=''
if [ $do_pg = 1 ]; then
  [[ $PG_URI =~ ^postgres(ql)?:// ]] || usage_error "PostgreSQL URI must start with postgresql:// (got scheme of '${PG_URI%%:*}')"
  PG_ADMIN_URI=$PG_URI
  PG_BENCH_URI=$(with_db "$PG_URI" "$BENCH_DB") || usage_error "cannot parse the PostgreSQL URI"
  # The admin connection (CREATE/DROP DATABASE) must not be the bench database itself.
  if [ "$PG_URI" = "$PG_BENCH_URI" ]; then
    PG_ADMIN_URI=$(with_db "$PG_URI" postgres)
  fi
fi

MY_BENCH_URI='' MY_HOST=127.0.0.1 MY_PORT=3306 MY_USER='' MY_PASS='' MY_SOCKET=''
if [ $do_my = 1 ]; then
  re='^(mysql|mariadb)://(([^:@/]*)(:([^@/]*))?@)?([^/:?]*)(:([0-9]+))?(/[^?]*)?(\?(.*))?$'
  [[ $MY_URI =~ $re ]] || usage_error "cannot parse the MariaDB URI (expected mysql://user:pass@host:port/)"
  MY_USER=$(pct_decode "${BASH_REMATCH[3]}")
  MY_PASS=$(pct_decode "${BASH_REMATCH[5]}")
  [ -n "${BASH_REMATCH[6]}" ] && MY_HOST=$(pct_decode "${BASH_REMATCH[6]}")
  [ -n "${BASH_REMATCH[8]}" ] && MY_PORT=${BASH_REMATCH[8]}
  my_query=${BASH_REMATCH[11]}
  IFS='&' read -r -a my_params <<<"$my_query"
  for kv in "${my_params[@]}"; do
    case $kv in socket=*) MY_SOCKET=$(pct_decode "${kv#socket=}") ;; esac
  done
  MY_BENCH_URI=$(with_db "$MY_URI" "$BENCH_DB") || usage_error "cannot parse the MariaDB URI"
fi
# Arguments shared by mariadb and mariadb-dump; the password goes through MYSQL_PWD so it
# never appears on a command line.
my_conn_args() {
  if [ -n "$MY_SOCKET" ]; then
    printf '%s\0' -h localhost --socket="$MY_SOCKET"
  else
    printf '%s\0' -h "$MY_HOST" -P "$MY_PORT" --protocol=TCP
  fi
  [ -n "$MY_USER" ] && printf '%s\0' -u "$MY_USER"
  return 0
}
MY_CONN=()
if [ $do_my = 1 ]; then mapfile -d '' MY_CONN < <(my_conn_args); fi
my_client() { MYSQL_PWD=$MY_PASS "$MARIADB" --no-defaults "${MY_CONN[@]}" "$@"; }
my_dump() { MYSQL_PWD=$MY_PASS "$MARIADB_DUMP" --no-defaults "${MY_CONN[@]}" "$@"; }
pg_admin() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$PG_ADMIN_URI" "$@"; }

# ---------------------------------------------------------------- cleanup
pg_created=0 my_created=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$KEEP_DB" = 1 ]; then
    [ "$pg_created" = 1 ] && log "KEEP_DB=1: keeping PostgreSQL database $BENCH_DB"
    [ "$my_created" = 1 ] && log "KEEP_DB=1: keeping MariaDB database $BENCH_DB"
  else
    if [ "$pg_created" = 1 ]; then
      pg_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 \
        || log "warning: could not drop PostgreSQL database $BENCH_DB"
    fi
    if [ "$my_created" = 1 ]; then
      my_client -e "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null 2>&1 \
        || log "warning: could not drop MariaDB database $BENCH_DB"
    fi
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- DDL generation
# gen_ddl ENGINE N: one CREATE TABLE (20 columns of mixed types, defaults, NOT NULLs),
# 3 secondary indexes and 1 foreign key per table. Table i references table i-1;
# table 1 references the last table (added at the end, once it exists).
gen_ddl() {
  awk -v engine="$1" -v n="$2" '
  function tn(i) { return sprintf("t%05d", i) }
  BEGIN {
    if (engine == "pg") {
      print "SET client_min_messages = warning;"
      print "SET synchronous_commit = off;"
    } else {
      print "SET SESSION foreign_key_checks = 0;"
      print "SET SESSION unique_checks = 0;"
    }
    for (i = 1; i <= n; i++) {
      t = tn(i)
      namelen = 100 + (i % 100)
      if (engine == "pg") {
        # a few commits instead of one per statement (and not one transaction for all:
        # that would need ~10 locks per table in the shared lock table)
        if (i % 50 == 1) print "BEGIN;"
        print "CREATE TABLE " t " ("
        print "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        print "  parent_id bigint,"
        print "  code varchar(32) NOT NULL,"
        print "  name varchar(" namelen ") NOT NULL DEFAULT '\'''\'',"
        print "  description text,"
        print "  status smallint NOT NULL DEFAULT 0,"
        print "  quantity integer NOT NULL DEFAULT 0,"
        print "  price numeric(12,2) NOT NULL DEFAULT 0.00,"
        print "  ratio double precision,"
        print "  is_active boolean NOT NULL DEFAULT true,"
        print "  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,"
        print "  updated_at timestamp with time zone,"
        print "  birth_date date,"
        print "  start_time time,"
        print "  payload jsonb,"
        print "  tag char(8) DEFAULT '\''none'\'',"
        print "  flags integer NOT NULL DEFAULT " (i % 16) ","
        print "  score real DEFAULT 1.5,"
        print "  bin_data bytea,"
        print "  external_ref uuid"
        print ");"
        print "CREATE UNIQUE INDEX " t "_code_uq ON " t " (code);"
        print "CREATE INDEX " t "_status_created_idx ON " t " (status, created_at DESC);"
        print "CREATE INDEX " t "_parent_idx ON " t " (parent_id);"
        if (i > 1)
          print "ALTER TABLE " t " ADD CONSTRAINT " t "_parent_fk FOREIGN KEY (parent_id) REFERENCES " tn(i - 1) " (id);"
        if (i % 50 == 0 || i == n) print "COMMIT;"
      } else {
        print "CREATE TABLE " t " ("
        print "  id bigint NOT NULL AUTO_INCREMENT,"
        print "  parent_id bigint NULL,"
        print "  code varchar(32) NOT NULL,"
        print "  name varchar(" namelen ") NOT NULL DEFAULT '\'''\'',"
        print "  description text,"
        print "  status smallint NOT NULL DEFAULT 0,"
        print "  quantity int NOT NULL DEFAULT 0,"
        print "  price decimal(12,2) NOT NULL DEFAULT 0.00,"
        print "  ratio double,"
        print "  is_active boolean NOT NULL DEFAULT 1,"
        print "  created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,"
        print "  updated_at timestamp NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,"
        print "  birth_date date,"
        print "  start_time time,"
        print "  payload json,"
        print "  tag char(8) DEFAULT '\''none'\'',"
        print "  flags int unsigned NOT NULL DEFAULT " (i % 16) ","
        print "  score float DEFAULT 1.5,"
        print "  bin_data varbinary(255),"
        print "  external_ref char(36),"
        print "  PRIMARY KEY (id),"
        print "  UNIQUE KEY " t "_code_uq (code),"
        print "  KEY " t "_status_created_idx (status, created_at),"
        print "  KEY " t "_parent_idx (parent_id)" (i > 1 ? "," : "")
        if (i > 1)
          print "  CONSTRAINT " t "_parent_fk FOREIGN KEY (parent_id) REFERENCES " tn(i - 1) " (id)"
        print ") ENGINE=InnoDB;"
      }
    }
    print "ALTER TABLE " tn(1) " ADD CONSTRAINT " tn(1) "_parent_fk FOREIGN KEY (parent_id) REFERENCES " tn(n) " (id);"
    if (engine != "pg") {
      print "SET SESSION foreign_key_checks = 1;"
      print "SET SESSION unique_checks = 1;"
    }
  }'
}

now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

setup_pg() {
  log "PostgreSQL: creating $BENCH_DB with $TABLES tables"
  gen_ddl pg "$TABLES" > "$WORK/pg.sql"
  pg_created=1
  pg_admin -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB" \
    > "$WORK/pg-setup.log" 2>&1 || { cat "$WORK/pg-setup.log" >&2; fail "PostgreSQL: could not create database $BENCH_DB"; }
  local t0 t1
  t0=$(now_ns)
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$PG_BENCH_URI" -f "$WORK/pg.sql" \
    > "$WORK/pg-load.log" 2>&1 || { tail -20 "$WORK/pg-load.log" >&2; fail "PostgreSQL: loading the generated DDL failed"; }
  "$PSQL" -X -q -w -d "$PG_BENCH_URI" -c "ANALYZE" >/dev/null 2>&1 || true
  t1=$(now_ns)
  log "PostgreSQL: schema loaded in $(secs "$t0" "$t1") s ($(wc -c < "$WORK/pg.sql") bytes of DDL)"
}

setup_my() {
  log "MariaDB: creating $BENCH_DB with $TABLES tables"
  gen_ddl mysql "$TABLES" > "$WORK/my.sql"
  my_created=1
  my_client -e "DROP DATABASE IF EXISTS $BENCH_DB; CREATE DATABASE $BENCH_DB CHARACTER SET utf8mb4" \
    > "$WORK/my-setup.log" 2>&1 || { cat "$WORK/my-setup.log" >&2; fail "MariaDB: could not create database $BENCH_DB"; }
  local t0 t1
  t0=$(now_ns)
  my_client --batch "$BENCH_DB" < "$WORK/my.sql" \
    > "$WORK/my-load.log" 2>&1 || { tail -20 "$WORK/my-load.log" >&2; fail "MariaDB: loading the generated DDL failed"; }
  t1=$(now_ns)
  log "MariaDB: schema loaded in $(secs "$t0" "$t1") s ($(wc -c < "$WORK/my.sql") bytes of DDL)"
}

# ---------------------------------------------------------------- measurement
# The commands under test. run_tool NAME OUTFILE: runs it, stdout to OUTFILE, stderr to a
# log; a non-zero exit aborts the benchmark (no figure is printed for a failing tool).
run_tool() {
  local name=$1 out=$2 rc=0
  case $name in
    pg-cutover) "$CUTOVER_BIN" schema "$PG_BENCH_URI" --json > "$out" 2> "$WORK/$name.err" || rc=$? ;;
    pg-peer)    "$PG_DUMP" --schema-only -w -d "$PG_BENCH_URI" > "$out" 2> "$WORK/$name.err" || rc=$? ;;
    my-cutover) "$CUTOVER_BIN" schema "$MY_BENCH_URI" --json > "$out" 2> "$WORK/$name.err" || rc=$? ;;
    my-peer)    my_dump --no-data "$BENCH_DB" > "$out" 2> "$WORK/$name.err" || rc=$? ;;
  esac
  if [ $rc != 0 ]; then
    log "$name exited with status $rc; its stderr:"
    sed 's/^/    /' "$WORK/$name.err" >&2
    fail "$name failed; no figure reported"
  fi
}

count() { grep -Ec "$1" "$2" || true; }
count_o() { grep -Eo "$1" "$2" | wc -l || true; }

# validate NAME FILE: the output must really describe the generated schema, so that a tool
# that returns quickly with an empty or partial result cannot produce a figure.
validate() {
  local name=$1 f=$2 n
  case $name in
    *-cutover)
      grep -q '"format" *: *"cutover.schema"' "$f" || fail "$name: output is not a cutover.schema document (see docs/schema-json.md)"
      n=$(count_o '"kind" *: *"table"' "$f")
      [ "$n" = "$TABLES" ] || fail "$name: output has $n table objects, expected $TABLES"
      n=$(count_o '"kind" *: *"foreign_key"' "$f")
      [ "$n" = "$TABLES" ] || fail "$name: output has $n foreign_key objects, expected $TABLES"
      n=$(count_o '"kind" *: *"column"' "$f")
      [ "$n" = $((TABLES * 20)) ] || fail "$name: output has $n column objects, expected $((TABLES * 20))"
      ;;
    pg-peer)
      n=$(count '^CREATE TABLE ' "$f")
      [ "$n" = "$TABLES" ] || fail "$name: pg_dump output has $n CREATE TABLE, expected $TABLES"
      ;;
    my-peer)
      n=$(count '^CREATE TABLE `' "$f")
      [ "$n" = "$TABLES" ] || fail "$name: mariadb-dump output has $n CREATE TABLE, expected $TABLES"
      ;;
  esac
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END {
  if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# bench ENGINE (pg|my): warm-up (+validation) then RUNS alternating timed runs.
declare -A MEDIAN TIMES
bench() {
  local e=$1 i tool t0 t1
  for tool in cutover peer; do
    for ((i = 1; i <= WARMUP; i++)); do
      run_tool "$e-$tool" "$WORK/$e-$tool.out"
      [ $i = 1 ] && validate "$e-$tool" "$WORK/$e-$tool.out"
    done
    if [ "$WARMUP" = 0 ]; then  # still validate once, untimed
      run_tool "$e-$tool" "$WORK/$e-$tool.out"; validate "$e-$tool" "$WORK/$e-$tool.out"
    fi
    rm -f "$WORK/$e-$tool.out"
    TIMES[$e-$tool]=''
  done
  for ((i = 1; i <= RUNS; i++)); do
    # alternate which tool goes first, so neither always follows the other
    local order="cutover peer"
    [ $((i % 2)) = 0 ] && order="peer cutover"
    for tool in $order; do
      t0=$(now_ns)
      run_tool "$e-$tool" /dev/null
      t1=$(now_ns)
      TIMES[$e-$tool]+="$(secs "$t0" "$t1") "
    done
    log "$e run $i/$RUNS: cutover $(echo "${TIMES[$e-cutover]}" | awk '{print $NF}') s, peer $(echo "${TIMES[$e-peer]}" | awk '{print $NF}') s"
  done
  MEDIAN[$e-cutover]=$(echo "${TIMES[$e-cutover]}" | median)
  MEDIAN[$e-peer]=$(echo "${TIMES[$e-peer]}" | median)
}

# ---------------------------------------------------------------- main
log "cutover: $CUTOVER_BIN; $TABLES tables, $RUNS timed runs (+$WARMUP warm-up), target ratio <= $TARGET"
[ $do_pg = 1 ] && setup_pg
[ $do_my = 1 ] && setup_my
[ $do_pg = 1 ] && bench pg
[ $do_my = 1 ] && bench my

missed=0
printf '\nschema introspection, %s tables x 20 columns, 3 indexes, 1 FK; median of %s runs (%s, %s cores)\n\n' \
  "$TABLES" "$RUNS" "$(date -u +%Y-%m-%d)" "$(nproc 2>/dev/null || echo '?')"
printf '%-11s %-32s %10s  %s\n' engine tool median_s "runs (s)"
row() { printf '%-11s %-32s %10s  %s\n' "$1" "$2" "$3" "$4"; }
verdicts=()
for e in pg my; do
  if [ "$e" = pg ]; then [ $do_pg = 1 ] || continue; label=postgresql; peer="pg_dump --schema-only"
  else [ $do_my = 1 ] || continue; label=mariadb; peer="mariadb-dump --no-data"; fi
  c=${MEDIAN[$e-cutover]} p=${MEDIAN[$e-peer]}
  row "$label" "cutover schema --json" "$c" "${TIMES[$e-cutover]% }"
  row "$label" "$peer" "$p" "${TIMES[$e-peer]% }"
  read -r ratio verdict < <(awk -v c="$c" -v p="$p" -v t="$TARGET" 'BEGIN {
    if (p <= 0) { print "inf FAIL"; exit }
    r = c / p; printf "%.3f %s\n", r, (r <= t ? "PASS" : "FAIL") }')
  [ "$verdict" = PASS ] || missed=1
  verdicts+=("$(printf '%-11s ratio cutover/peer = %s   target <= %s   %s' "$label" "$ratio" "$TARGET" "$verdict")")
done
echo
printf '%s\n' "${verdicts[@]}"

if [ "$missed" = 1 ] && [ "$STRICT" = 1 ]; then
  log "STRICT=1: a target was missed"
  exit 1
fi
exit 0

#!/usr/bin/env bash
# Snapshot / restore benchmark: cutover against each engine's standard tools on the same
# generated dataset (bench/gen_data.py), in the same run, printing ratios and PASS/MISS.
#
#   SQLite:     snapshot      vs  sqlite3 DB .dump | zstd -1                       <= 0.40
#               restore-test  vs  zstd -dc dump | sqlite3 NEW.db                    <= 0.30
#   PostgreSQL: snapshot      vs  sum of server-side COPY t TO '/dev/null'         <= 1.10
#               snapshot      vs  pg_dump -Fc                                      <= 0.35
#               snapshot      vs  pg_dump -Fd -j2 -Z1                              (shown)
#               restore       vs  pg_restore -j2 (of the -Fc dump) into a new db   <= 0.90
#               restore-test  vs  pg_restore -j2                                   <= 1.20
#               stored size   vs  pg_dump -Fc file size                            <= 1.05
#   MariaDB:    snapshot      vs  mariadb-dump --single-transaction --quick | zstd -1  <= 0.50
#               restore       vs  myloader -t 2 of a mydumper dump                 <= 0.40
#               restore-test  vs  myloader -t 2                                    (shown)
#   every engine: peak RSS of cutover snapshot and restore-test (/usr/bin/time)    < 256 MiB
#
# Every timed comparison pairs cutover and its peer within one run (their order alternates
# between runs); the ratio is reported per run, as the median and the spread, and a target is
# met only when its WORST run meets it. The targets are meant for servers configured like
# production: start them with `bash scripts/test-servers.sh --profile durable start` (fsync,
# synchronous_commit, full_page_writes; innodb_flush_log_at_trx_commit=1, doublewrite). The
# servers' durability settings are read and printed with the results, with the profile they
# amount to ("durable" only when every one of them is on).
#
# Usage:
#   bench/snapshot_bench.sh [sqlite|postgresql|mysql|all ...] [--size-mb N] [--runs N] [--quick]
#   eval "$(bash scripts/test-servers.sh env)"          # servers already running
#   CUTOVER_BIN=build-bench/cutover bench/snapshot_bench.sh all
#   CUTOVER_BIN=build-bench/cutover bench/snapshot_bench.sh sqlite --quick   # smoke run
#
# Options:
#   ENGINE...     sqlite, postgresql (pg), mysql (mariadb), all (default: all)
#   --size-mb N   size of the generated data in text form (default 1000)
#   --runs N      timed runs of every tool; the median is reported (default 3)
#   --quick       smoke run: --size-mb 50 --runs 1 unless given
#   --keep        keep the bench databases and the work directory (debugging)
#
# Environment:
#   CUTOVER_BIN              cutover binary (default: build/cutover in this checkout)
#   CUTOVER_BENCH_PG_URI     PostgreSQL server (default $CUTOVER_TEST_PG_URI; the durable servers'
#                            env file sets it); the role must be
#                            allowed to CREATE DATABASE and COPY TO a file (superuser or
#                            pg_write_server_files)
#   CUTOVER_BENCH_MYSQL_URI  MariaDB server, mysql://user:pass@host:port/ (default
#                            $CUTOVER_TEST_MYSQL_URI); local_infile must be ON (data load)
#   JOBS=2                   cutover --jobs, pg_dump/pg_restore -j, mydumper/myloader -t
#   BENCH_DB=cutover_bench_snap  database name prefix (dropped at the end)
#   BENCH_TMPDIR             where data, dumps and snapshots go (default ${TMPDIR:-/tmp});
#                            needs about 6x --size-mb of free space
#   SEED=cutover-bench-1     generator seed
#   DATA_CACHE=DIR           keep the generated data in DIR and reuse it in later runs (keyed
#                            by size, seed and a hash of gen_data.py); default: regenerate
#   STRICT=1                 exit 1 when a target is missed (default: report only)
#   PSQL PG_DUMP PG_RESTORE MARIADB MARIADB_DUMP MYDUMPER MYLOADER SQLITE3 ZSTD PYTHON3
#
# Exit status: 0 measured (whatever the ratios unless STRICT=1), 1 a target missed with
# STRICT=1, 2 usage/configuration error, 3 a tool or the setup failed (no figure printed).
# shellcheck disable=SC2317,SC2059  # tool functions are called through measure(); ROWFMT is ours
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIZE_MB='' RUNS_OPT='' QUICK=0 KEEP=0 ENGINE_ARGS=()
log() { printf 'snapshot_bench: %s\n' "$*" >&2; }
usage_error() { log "error: $*"; exit 2; }
fail() { log "error: $*"; exit 3; }

while [ $# -gt 0 ]; do
  case $1 in
    --size-mb) [ $# -ge 2 ] || usage_error "--size-mb needs a value"; SIZE_MB=$2; shift 2 ;;
    --size-mb=*) SIZE_MB=${1#*=}; shift ;;
    --runs) [ $# -ge 2 ] || usage_error "--runs needs a value"; RUNS_OPT=$2; shift 2 ;;
    --runs=*) RUNS_OPT=${1#*=}; shift ;;
    --quick) QUICK=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) usage_error "unknown option $1 (see --help)" ;;
    *) ENGINE_ARGS+=("$1"); shift ;;
  esac
done
if [ "$QUICK" = 1 ]; then SIZE_MB=${SIZE_MB:-50}; RUNS_OPT=${RUNS_OPT:-1}; fi
SIZE_MB=${SIZE_MB:-1000}
RUNS=${RUNS_OPT:-${RUNS:-3}}
JOBS=${JOBS:-2}
STRICT=${STRICT:-0}
SEED=${SEED:-cutover-bench-1}
BENCH_DB=${BENCH_DB:-cutover_bench_snap}
CUTOVER_BIN=${CUTOVER_BIN:-$SCRIPT_DIR/../build/cutover}
PSQL=${PSQL:-psql} PG_DUMP=${PG_DUMP:-pg_dump} PG_RESTORE=${PG_RESTORE:-pg_restore}
MARIADB=${MARIADB:-$(command -v mariadb || command -v mysql || echo mariadb)}
MARIADB_DUMP=${MARIADB_DUMP:-$(command -v mariadb-dump || command -v mysqldump || echo mariadb-dump)}
MYDUMPER=${MYDUMPER:-mydumper} MYLOADER=${MYLOADER:-myloader}
SQLITE3=${SQLITE3:-sqlite3} ZSTD=${ZSTD:-zstd} PYTHON3=${PYTHON3:-python3}
GEN=$SCRIPT_DIR/gen_data.py
DATA_CACHE=${DATA_CACHE:-}
PG_URI=${CUTOVER_BENCH_PG_URI:-${CUTOVER_TEST_PG_URI:-}}
MY_URI=${CUTOVER_BENCH_MYSQL_URI:-${CUTOVER_TEST_MYSQL_URI:-}}

# ---------------------------------------------------------------- checks
if ! [[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || [ "$SIZE_MB" -gt 100000 ]; then
  usage_error "--size-mb must be 1..100000 (got '$SIZE_MB')"
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_error "--runs must be a positive integer (got '$RUNS')"
if ! [[ $JOBS =~ ^[1-9][0-9]*$ ]] || [ "$JOBS" -gt 64 ]; then usage_error "JOBS must be 1..64 (got '$JOBS')"; fi
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || usage_error "BENCH_DB must match [a-z_][a-z0-9_]* (got '$BENCH_DB')"
[ -x "$CUTOVER_BIN" ] || usage_error "cutover binary not found or not executable: $CUTOVER_BIN (build it, or set CUTOVER_BIN)"
CUTOVER_BIN=$(cd "$(dirname "$CUTOVER_BIN")" && pwd)/$(basename "$CUTOVER_BIN")

do_sq=0 do_pg=0 do_my=0
[ ${#ENGINE_ARGS[@]} -gt 0 ] || ENGINE_ARGS=(all)
for e in "${ENGINE_ARGS[@]}"; do
  case $e in
    sqlite) do_sq=1 ;;
    pg|postgres|postgresql) do_pg=1 ;;
    mysql|mariadb) do_my=1 ;;
    all) do_sq=1 do_pg=1 do_my=1 ;;
    *) usage_error "unknown engine '$e' (use sqlite, postgresql, mysql or all)" ;;
  esac
done

need() { command -v "$1" >/dev/null 2>&1 || usage_error "$1 not found (install it or set $2)"; }
[ -x /usr/bin/time ] || usage_error "/usr/bin/time not found (apt-get install time): it measures peak memory"
need "$PYTHON3" PYTHON3; need "$ZSTD" ZSTD
[ $do_sq = 1 ] && need "$SQLITE3" SQLITE3
if [ $do_pg = 1 ]; then
  [ -n "$PG_URI" ] || usage_error "no PostgreSQL URI: set CUTOVER_BENCH_PG_URI or CUTOVER_TEST_PG_URI (eval \"\$(bash scripts/test-servers.sh env)\")"
  need "$PSQL" PSQL; need "$PG_DUMP" PG_DUMP; need "$PG_RESTORE" PG_RESTORE
fi
if [ $do_my = 1 ]; then
  [ -n "$MY_URI" ] || usage_error "no MariaDB URI: set CUTOVER_BENCH_MYSQL_URI or CUTOVER_TEST_MYSQL_URI (eval \"\$(bash scripts/test-servers.sh env)\")"
  need "$MARIADB" MARIADB; need "$MARIADB_DUMP" MARIADB_DUMP; need "$MYDUMPER" MYDUMPER; need "$MYLOADER" MYLOADER
fi

WORK=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/cutover-snapshot-bench.XXXXXX")
chmod 700 "$WORK"
cd "$WORK"  # no cutover.toml of the caller's directory is picked up

# ---------------------------------------------------------------- URIs
# with_db URI DB: the same URI with its database path replaced (query string kept).
with_db() {
  local re='^([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)(/[^?#]*)?(\?[^#]*)?$'
  [[ $1 =~ $re ]] || return 1
  printf '%s/%s%s' "${BASH_REMATCH[1]}" "$2" "${BASH_REMATCH[3]}"
}
pct_decode() { local s=${1//+/%2B}; printf '%b' "${s//%/\\x}"; }

PG_ADMIN_URI=''
if [ $do_pg = 1 ]; then
  [[ $PG_URI =~ ^postgres(ql)?:// ]] || usage_error "PostgreSQL URI must start with postgresql:// (got scheme of '${PG_URI%%:*}')"
  PG_ADMIN_URI=$PG_URI
  [ "$(with_db "$PG_URI" x)" != "$PG_URI" ] || usage_error "cannot parse the PostgreSQL URI"
  # The admin connection (CREATE/DROP DATABASE, the scratch server) must not be a bench database.
  case $PG_URI in *"/$BENCH_DB"*) PG_ADMIN_URI=$(with_db "$PG_URI" postgres) ;; esac
fi
pg_uri() { with_db "$PG_ADMIN_URI" "$1"; }

MY_HOST=127.0.0.1 MY_PORT=3306 MY_USER='' MY_PASS='' MY_SOCKET=''
if [ $do_my = 1 ]; then
  re='^(mysql|mariadb)://(([^:@/]*)(:([^@/]*))?@)?([^/:?]*)(:([0-9]+))?(/[^?]*)?(\?(.*))?$'
  [[ $MY_URI =~ $re ]] || usage_error "cannot parse the MariaDB URI (expected mysql://user:pass@host:port/)"
  MY_USER=$(pct_decode "${BASH_REMATCH[3]}")
  MY_PASS=$(pct_decode "${BASH_REMATCH[5]}")
  [ -n "${BASH_REMATCH[6]}" ] && MY_HOST=$(pct_decode "${BASH_REMATCH[6]}")
  [ -n "${BASH_REMATCH[8]}" ] && MY_PORT=${BASH_REMATCH[8]}
  IFS='&' read -r -a my_params <<<"${BASH_REMATCH[11]}"
  for kv in "${my_params[@]}"; do
    case $kv in socket=*) MY_SOCKET=$(pct_decode "${kv#socket=}") ;; esac
  done
fi
my_uri() { with_db "$MY_URI" "$1"; }
# mariadb / mariadb-dump get the password through MYSQL_PWD, mydumper / myloader through a
# 0600 option file: never on a command line.
MY_CONN=()
if [ $do_my = 1 ]; then
  if [ -n "$MY_SOCKET" ]; then MY_CONN=(-h localhost --socket="$MY_SOCKET")
  else MY_CONN=(-h "$MY_HOST" -P "$MY_PORT" --protocol=TCP); fi
  if [ -n "$MY_USER" ]; then MY_CONN+=(-u "$MY_USER"); fi
  MY_CNF=$WORK/my.cnf
  (umask 077; {
    for g in client mydumper myloader; do
      printf '[%s]\n' "$g"
      # `if`, not `&&`: a false test as the block's last command would end
      # the script under set -e, silently (socket authentication has no password).
      if [ -n "$MY_USER" ]; then printf 'user=%s\n' "$MY_USER"; fi
      if [ -n "$MY_PASS" ]; then printf 'password=%s\n' "$MY_PASS"; fi
    done
  } > "$MY_CNF")
  MYD_CONN=(--defaults-file="$MY_CNF")
  if [ -n "$MY_SOCKET" ]; then MYD_CONN+=(-S "$MY_SOCKET"); else MYD_CONN+=(-h "$MY_HOST" -P "$MY_PORT"); fi
fi
my_client() { MYSQL_PWD=$MY_PASS "$MARIADB" --no-defaults "${MY_CONN[@]}" "$@"; }
my_dump() { MYSQL_PWD=$MY_PASS "$MARIADB_DUMP" --no-defaults "${MY_CONN[@]}" "$@"; }
pg_admin() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$PG_ADMIN_URI" "$@"; }

# ---------------------------------------------------------------- cleanup
PG_DBS=() MY_DBS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$? db
  trap - EXIT INT TERM
  if [ "$KEEP" = 1 ]; then
    log "--keep: keeping $WORK and the databases ${PG_DBS[*]} ${MY_DBS[*]}"
    exit "$rc"
  fi
  for db in "${PG_DBS[@]}"; do
    pg_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
      || log "warning: could not drop PostgreSQL database $db"
  done
  for db in "${MY_DBS[@]}"; do
    my_client -e "DROP DATABASE IF EXISTS \`$db\`" >/dev/null 2>&1 || log "warning: could not drop MariaDB database $db"
  done
  cd /
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_recreate() {  # pg_recreate DB: an empty database DB, dropped at the end
  [[ " ${PG_DBS[*]} " == *" $1 "* ]] || PG_DBS+=("$1")
  pg_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\"" \
    > "$WORK/pg-admin.log" 2>&1 || { cat "$WORK/pg-admin.log" >&2; fail "PostgreSQL: could not create database $1"; }
}
pg_drop() { pg_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || fail "PostgreSQL: could not drop $1"; }
my_recreate() {
  [[ " ${MY_DBS[*]} " == *" $1 "* ]] || MY_DBS+=("$1")
  my_client -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4" \
    > "$WORK/my-admin.log" 2>&1 || { cat "$WORK/my-admin.log" >&2; fail "MariaDB: could not create database $1"; }
}
my_drop() { my_client -e "DROP DATABASE IF EXISTS \`$1\`" >/dev/null 2>&1 || fail "MariaDB: could not drop $1"; }

# ---------------------------------------------------------------- timing
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END {
  if (NR == 0) { print "nan"; exit }
  if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# CPU seconds (user + system) used so far by this shell's finished child processes. `times`
# must run in this shell, not in a $(...) subshell, which has no children of its own.
child_cpu() {
  times > "$WORK/times.txt"
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] }
    printf "%.3f", s }' "$WORK/times.txt"
}

declare -A TIMES CPU RSS_KB LABEL
LOADS=''
# measure KEY LABEL FUNC ARGS...: times FUNC (stdout to $WORK/KEY.out, stderr to $WORK/KEY.err);
# a failure stops the benchmark with the tool's stderr. Records the wall time and the client
# CPU time (user + system of every process FUNC started; server processes are not counted).
# Commands run under `rss` record their peak RSS in $WORK/KEY.rss.
measure() {
  local key=$1 label=$2 t0 t1 c0 c1 rc=0
  shift 2
  LABEL[$key]=$label
  rm -f "$WORK/$key.rss"
  LOADS+="$(load1) "
  child_cpu > "$WORK/cpu0.txt"
  t0=$(now_ns)
  CUR_KEY=$key "$@" > "$WORK/$key.out" 2> "$WORK/$key.err" || rc=$?
  t1=$(now_ns)
  child_cpu > "$WORK/cpu1.txt"
  c0=$(cat "$WORK/cpu0.txt") c1=$(cat "$WORK/cpu1.txt")
  if [ $rc != 0 ]; then
    log "$label exited with status $rc; its stderr (last 30 lines):"
    tail -30 "$WORK/$key.err" | sed 's/^/    /' >&2
    fail "$label failed; no figure reported"
  fi
  TIMES[$key]+="$(secs "$t0" "$t1") "
  CPU[$key]+="$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }') "
  if [ -s "$WORK/$key.rss" ]; then
    local kb
    kb=$(tail -1 "$WORK/$key.rss")
    [[ $kb =~ ^[0-9]+$ ]] || fail "$label: cannot read its peak RSS from /usr/bin/time"
    [ "${RSS_KB[$key]:-0}" -ge "$kb" ] || RSS_KB[$key]=$kb
  fi
  log "  $label: $(secs "$t0" "$t1") s (client CPU $(echo "${CPU[$key]}" | awk '{ print $NF }') s)"
  # cutover's own stage timings (--json "stages"), for the analysis in docs/performance.md.
  if grep -q '"stages"' "$WORK/$key.out" 2> /dev/null; then
    "$PYTHON3" -c 'import json,sys
for s in json.load(open(sys.argv[1])).get("stages", []): print("      %7.3f s  %s" % (s["seconds"], s["stage"]))' \
      "$WORK/$key.out" >&2 || true
  fi
}
# rss CMD...: run CMD recording its peak RSS (KB) for measure().
rss() { /usr/bin/time -f '%M' -o "$WORK/$CUR_KEY.rss" "$@"; }
cutover() { rss "$CUTOVER_BIN" --no-progress "$@"; }

json_field() {  # json_field FILE FIELD: a top-level scalar of a JSON document
  "$PYTHON3" -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(str(v).lower() if isinstance(v,bool) else v)' "$1" "$2"
}
# A restore-test that did not pass must not produce a figure.
check_restore_test() {
  local key=$1 ok
  ok=$(json_field "$WORK/$key.out" ok) || fail "${LABEL[$key]}: output is not a cutover.restore_test document"
  if [ "$ok" != true ]; then
    sed 's/^/    /' "$WORK/$key.out" >&2
    fail "${LABEL[$key]}: the restore test did not pass; no figure reported"
  fi
  RT_RESTORE[$key]+="$(printf '%.3f' "$(json_field "$WORK/$key.out" restore_seconds)") "
}
declare -A RT_RESTORE
check_snapshot_rows() {
  local key=$1 rows
  rows=$(json_field "$WORK/$key.out" rows)
  [ "$rows" = "$EXPECTED_ROWS" ] || fail "${LABEL[$key]}: the snapshot holds $rows rows, $EXPECTED_ROWS were generated"
  STORED_BYTES=$(json_field "$WORK/$key.out" stored_bytes)
}

# ---------------------------------------------------------------- data
# Generated data lives in $WORK, or under DATA_CACHE when set; a cache entry is used only
# when its generation completed (the .complete marker holds the row counts).
DATA_DIR=$WORK
if [ -n "$DATA_CACHE" ]; then
  mkdir -p "$DATA_CACHE" || usage_error "cannot create DATA_CACHE directory $DATA_CACHE"
  DATA_DIR=$(cd "$DATA_CACHE" && pwd)/$SIZE_MB-$(printf '%s' "$SEED" | tr -c 'A-Za-z0-9_.-' _)-$(sha256sum "$GEN" | cut -c1-12)
fi
TSV_DIR=$DATA_DIR/tsv
EXPECTED_ROWS=0
TABLES=()
mapfile -t TABLES < <("$PYTHON3" "$GEN" tables)
# generate KIND OUT: runs gen_data.py KIND OUT unless a complete result is there; sets
# EXPECTED_ROWS.
generate() {
  local kind=$1 out=$2 t0 t1
  if [ -f "$out.complete" ]; then
    log "reusing the generated data in $out"
  else
    rm -rf "$out"
    mkdir -p "$(dirname "$out")"
    log "generating ${SIZE_MB} MB of data ($kind, seed $SEED) into $out"
    t0=$(now_ns)
    "$PYTHON3" "$GEN" "$kind" "$out" --size-mb "$SIZE_MB" --seed "$SEED" 2> "$out.log" \
      || { cat "$out.log" >&2; fail "data generation failed"; }
    t1=$(now_ns)
    log "generated $(du -sm "$out" | cut -f1) MiB in $(secs "$t0" "$t1") s"
    mv "$out.log" "$out.complete"
  fi
  EXPECTED_ROWS=$(awk -F'\t' '{ s += $2 } END { print s }' "$out.complete")
}
gen_tsv() { generate tsv "$TSV_DIR"; }

# ---------------------------------------------------------------- results
RESULT_LINES=() VERDICT_LINES=() MISSED=0
ROWFMT='%-11s %-54s %9s %9s  %s'
time_row() {  # time_row ENGINE KEY
  local cpu=-
  [ -n "${CPU[$2]:-}" ] && cpu=$(echo "${CPU[$2]}" | median)
  RESULT_LINES+=("$(printf "$ROWFMT" "$1" "${LABEL[$2]}" "$(echo "${TIMES[$2]}" | median)" "$cpu" "${TIMES[$2]% }")")
}
info_row() { RESULT_LINES+=("$(printf "$ROWFMT" "$1" "$2" "$3" "" "$4")"); }
# verdict ENGINE WHAT VALUE TARGET [le|lt] [unit]: one ratio or size against its target
verdict() {
  local engine=$1 what=$2 value=$3 target=$4 op=${5:-le} unit=${6:-} v
  if [ "$target" = - ]; then
    VERDICT_LINES+=("$(printf '%-11s %-52s %10s  %-12s %s' "$engine" "$what" "$value$unit" "(shown)" "")")
    return
  fi
  v=$(awk -v x="$value" -v t="$target" -v op="$op" 'BEGIN { ok = (op == "lt") ? (x < t) : (x <= t); print ok ? "PASS" : "MISS" }')
  [ "$v" = PASS ] || MISSED=1
  VERDICT_LINES+=("$(printf '%-11s %-52s %10s  %-12s %s' "$engine" "$what" "$value$unit" "$([ "$op" = lt ] && echo '<' || echo '<=') $target$unit" "$v")")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else printf "%.3f", a / b }'; }
# verdict_runs ENGINE WHAT KEY PEER_KEY TARGET: the per-run ratios of KEY's times to PEER_KEY's
# (run i against run i); the median is shown with the spread, and the WORST run is judged.
verdict_runs() {
  local engine=$1 what=$2 target=$5 a b i rs='' worst med
  read -r -a a <<<"${TIMES[$3]}"
  read -r -a b <<<"${TIMES[$4]}"
  for ((i = 0; i < ${#a[@]}; i++)); do rs+="$(ratio "${a[$i]}" "${b[$i]}") "; done
  med=$(echo "$rs" | median)
  worst=$(echo "$rs" | tr ' ' '\n' | grep . | sort -g | tail -1)
  verdict "$engine" "$what (worst run)" "$worst" "$target"
  VERDICT_LINES+=("$(printf '%-11s   median %s, runs: %s' "" "$med" "${rs% }")")
}
med() { echo "${TIMES[$1]}" | median; }
rss_mib() { awk -v k="${RSS_KB[$1]:-0}" 'BEGIN { printf "%.0f", k / 1024 }'; }
engine_header() {
  RESULT_LINES+=("" "$(printf "$ROWFMT" engine measure median_s cpu_s "runs (s)")")
}
load_note() { echo "$LOADS" | awk '{ s = 0; m = 0; for (i = 1; i <= NF; i++) { s += $i; if ($i > m) m = $i }
  if (NF) printf "1-min load average before the timed runs: mean %.1f, max %.1f (%d samples)", s / NF, m, NF }'; }

# Server settings that decide how fast a durable write is, printed with the results; the
# profile is "durable" only when every durability setting is on.
SETTINGS_LINES=()
record_pg_settings() {
  local rows profile=durable
  rows=$("$PSQL" -X -Atw -F= -d "$PG_ADMIN_URI" -c "SELECT name, current_setting(name) FROM pg_settings
    WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers',
      'max_wal_size', 'checkpoint_timeout', 'wal_compression', 'maintenance_work_mem',
      'max_parallel_maintenance_workers', 'server_version') ORDER BY name") \
    || fail "PostgreSQL: cannot read the server's settings"
  grep -qx 'fsync=on' <<<"$rows" && grep -qx 'synchronous_commit=on' <<<"$rows" \
    && grep -qx 'full_page_writes=on' <<<"$rows" || profile="fast (not durable)"
  SETTINGS_LINES+=("postgresql  profile $profile: $(tr '\n' ' ' <<<"$rows")")
}
record_my_settings() {
  local rows profile=durable
  rows=$(my_client -N -B -e "SELECT CONCAT(LOWER(VARIABLE_NAME), '=', VARIABLE_VALUE) FROM information_schema.GLOBAL_VARIABLES
    WHERE VARIABLE_NAME IN ('INNODB_FLUSH_LOG_AT_TRX_COMMIT', 'INNODB_DOUBLEWRITE', 'SYNC_BINLOG', 'LOG_BIN',
      'INNODB_BUFFER_POOL_SIZE', 'INNODB_LOG_FILE_SIZE', 'INNODB_FLUSH_METHOD', 'VERSION') ORDER BY 1") \
    || fail "MariaDB: cannot read the server's settings"
  grep -qx 'innodb_flush_log_at_trx_commit=1' <<<"$rows" && grep -qx 'innodb_doublewrite=ON' <<<"$rows" \
    || profile="fast (not durable)"
  SETTINGS_LINES+=("mariadb     profile $profile: $(tr '\n' ' ' <<<"$rows")")
}

# ================================================================ SQLite
bench_sqlite() {
  local db=$DATA_DIR/sqlite.db repo=$WORK/repo-sqlite dump=$WORK/sqlite/dump.sql.zst i order tool
  mkdir -p "$WORK/sqlite" "$WORK/sqlite/scratch"
  generate sqlite "$db"
  log "SQLite: $(du -m "$db" | cut -f1) MiB database, $EXPECTED_ROWS rows"
  LOADS=''
  sq_snapshot() { cutover --repo "$repo" --json snapshot "sqlite://$db"; }
  sq_dump() { "$SQLITE3" "$db" .dump | "$ZSTD" -1 -q -o "$dump" -f; }
  sq_restore_test() { cutover --repo "$repo" --json restore-test latest --scratch "sqlite://$WORK/sqlite/scratch"; }
  sq_peer_restore() { rm -f "$WORK/sqlite/peer.db"; "$ZSTD" -dc "$dump" | "$SQLITE3" -bail "$WORK/sqlite/peer.db"; }
  for ((i = 1; i <= RUNS; i++)); do
    log "SQLite run $i/$RUNS"
    order="cutover peer"; [ $((i % 2)) = 0 ] && order="peer cutover"
    for tool in $order; do
      if [ "$tool" = cutover ]; then
        rm -rf "$repo"
        measure sq-snap "cutover snapshot" sq_snapshot
        check_snapshot_rows sq-snap
      else
        measure sq-dump "sqlite3 .dump | zstd -1" sq_dump
      fi
    done
    for tool in $order; do
      if [ "$tool" = cutover ]; then
        measure sq-rt "cutover restore-test" sq_restore_test
        check_restore_test sq-rt
      else
        measure sq-load "zstd -dc dump | sqlite3 new.db" sq_peer_restore
      fi
    done
  done
  local n
  n=$("$SQLITE3" "$WORK/sqlite/peer.db" "SELECT count(*) FROM events") || fail "SQLite: the restored dump cannot be read"
  [ "$n" = "$("$SQLITE3" "$db" "SELECT count(*) FROM events")" ] || fail "SQLite: the dump restored $n events rows"
  engine_header
  time_row sqlite sq-snap; time_row sqlite sq-dump; time_row sqlite sq-rt
  info_row sqlite "  of which restore (restore_seconds)" "$(echo "${RT_RESTORE[sq-rt]}" | median)" "${RT_RESTORE[sq-rt]% }"
  time_row sqlite sq-load
  info_row sqlite "size: cutover snapshot (stored bytes)" "$STORED_BYTES" ""
  info_row sqlite "size: sqlite3 .dump | zstd -1" "$(stat -c %s "$dump")" ""
  info_row sqlite "size: database file" "$(stat -c %s "$db")" ""
  VERDICT_LINES+=("")
  verdict sqlite "snapshot / (sqlite3 .dump | zstd -1)" "$(ratio "$(med sq-snap)" "$(med sq-dump)")" 0.4
  verdict sqlite "restore-test / sqlite3 restore of the dump" "$(ratio "$(med sq-rt)" "$(med sq-load)")" 0.3
  verdict sqlite "peak RSS, snapshot" "$(rss_mib sq-snap)" 256 lt " MiB"
  verdict sqlite "peak RSS, restore-test" "$(rss_mib sq-rt)" 256 lt " MiB"
  VERDICT_LINES+=("sqlite      $(load_note)")
  rm -rf "$WORK/sqlite" "$repo"
}

# ================================================================ PostgreSQL
bench_pg() {
  local db=$BENCH_DB uri repo=$WORK/repo-pg dump=$WORK/pg.dump dir=$WORK/pg.dir peer_db=${BENCH_DB}_peer i order tool t
  local into_db=${BENCH_DB}_into
  uri=$(pg_uri "$db")
  gen_tsv
  log "PostgreSQL: loading into $db"
  local t0 t1
  t0=$(now_ns)
  pg_recreate "$db"
  "$PYTHON3" "$GEN" ddl postgresql pre | "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$uri" > "$WORK/pg-load.log" 2>&1 \
    || { cat "$WORK/pg-load.log" >&2; fail "PostgreSQL: creating the tables failed"; }
  for t in "${TABLES[@]}"; do
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$uri" -c "COPY $t FROM STDIN" < "$TSV_DIR/$t.tsv" >> "$WORK/pg-load.log" 2>&1 \
      || { tail -20 "$WORK/pg-load.log" >&2; fail "PostgreSQL: loading table $t failed"; }
  done
  "$PYTHON3" "$GEN" ddl postgresql post | "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$uri" >> "$WORK/pg-load.log" 2>&1 \
    || { tail -20 "$WORK/pg-load.log" >&2; fail "PostgreSQL: creating indexes and constraints failed"; }
  # FREEZE sets every hint bit now, so no timed reader pays for it (or writes pages).
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -w -d "$uri" -c "VACUUM (FREEZE, ANALYZE)" >> "$WORK/pg-load.log" 2>&1 \
    || { tail -20 "$WORK/pg-load.log" >&2; fail "PostgreSQL: VACUUM failed"; }
  t1=$(now_ns)
  log "PostgreSQL: loaded in $(secs "$t0" "$t1") s, database size $("$PSQL" -X -Atw -d "$uri" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
  local copy_sql=$WORK/pg-copy.sql
  { printf '%s\n' '\timing on'; for t in "${TABLES[@]}"; do echo "COPY $t TO '/dev/null';"; done; } > "$copy_sql"
  LOADS=''
  pg_copy() { "$PSQL" -X -v ON_ERROR_STOP=1 -w -d "$uri" -f "$copy_sql"; }
  pg_snapshot() { cutover --repo "$repo" --json snapshot "$uri" -j "$JOBS"; }
  pg_fc() { "$PG_DUMP" -w -Fc -f "$dump" -d "$uri"; }
  pg_fd() { rm -rf "$dir"; "$PG_DUMP" -w -Fd -j "$JOBS" -Z1 -f "$dir" -d "$uri"; }
  pg_restore_test() { cutover --repo "$repo" --json restore-test latest --scratch "$PG_ADMIN_URI" -j "$JOBS"; }
  pg_restore_into() { cutover --repo "$repo" --json restore latest --into "$(pg_uri "$into_db")" -j "$JOBS"; }
  pg_peer_restore() { "$PG_RESTORE" -w -j "$JOBS" -d "$(pg_uri "$peer_db")" "$dump"; }
  for ((i = 1; i <= RUNS; i++)); do
    log "PostgreSQL run $i/$RUNS"
    order="cutover copy fc fd"; [ $((i % 2)) = 0 ] && order="fd fc copy cutover"
    for tool in $order; do
      case $tool in
        cutover)
          rm -rf "$repo"
          measure pg-snap "cutover snapshot -j$JOBS" pg_snapshot
          check_snapshot_rows pg-snap ;;
        copy)
          measure pg-copy "COPY t TO '/dev/null', all tables" pg_copy
          local sum
          sum=$(awk '/^Time: / { s += $2 } END { printf "%.3f", s / 1000 }' "$WORK/pg-copy.out")
          TIMES[pg-copysum]+="$sum "; LABEL[pg-copysum]="sum of the COPY TO '/dev/null' times" ;;
        fc) measure pg-fc "pg_dump -Fc" pg_fc ;;
        fd) measure pg-fd "pg_dump -Fd -j$JOBS -Z1" pg_fd ;;
      esac
    done
    order="cutover peer rt"; [ $((i % 2)) = 0 ] && order="rt peer cutover"
    for tool in $order; do
      case $tool in
        cutover)
          pg_recreate "$into_db"
          measure pg-restore "cutover restore -j$JOBS into a new database" pg_restore_into
          pg_drop "$into_db" ;;
        rt)
          measure pg-rt "cutover restore-test -j$JOBS" pg_restore_test
          check_restore_test pg-rt ;;
        peer)
          pg_recreate "$peer_db"
          measure pg-load "pg_restore -j$JOBS (-Fc dump) into a new database" pg_peer_restore
          local n
          n=$("$PSQL" -X -Atw -d "$(pg_uri "$peer_db")" -c "SELECT count(*) FROM events") || fail "PostgreSQL: cannot read the pg_restore'd database"
          [ "$n" = "$(wc -l < "$TSV_DIR/events.tsv")" ] || fail "PostgreSQL: pg_restore restored $n events rows"
          pg_drop "$peer_db" ;;
      esac
    done
  done
  local fc_size fd_size
  fc_size=$(stat -c %s "$dump")
  fd_size=$(du -sb "$dir" | cut -f1)
  engine_header
  time_row postgresql pg-snap; time_row postgresql pg-copysum; time_row postgresql pg-copy
  time_row postgresql pg-fc; time_row postgresql pg-fd; time_row postgresql pg-restore; time_row postgresql pg-rt
  info_row postgresql "  of which restore (restore_seconds)" "$(echo "${RT_RESTORE[pg-rt]}" | median)" "${RT_RESTORE[pg-rt]% }"
  time_row postgresql pg-load
  info_row postgresql "size: cutover snapshot (stored bytes)" "$STORED_BYTES" ""
  info_row postgresql "size: pg_dump -Fc" "$fc_size" ""
  info_row postgresql "size: pg_dump -Fd -Z1" "$fd_size" ""
  VERDICT_LINES+=("")
  verdict_runs postgresql "snapshot / sum of COPY TO '/dev/null'" pg-snap pg-copysum 1.1
  verdict postgresql "snapshot / pg_dump -Fc" "$(ratio "$(med pg-snap)" "$(med pg-fc)")" 0.35
  verdict postgresql "snapshot / pg_dump -Fd -j$JOBS -Z1" "$(ratio "$(med pg-snap)" "$(med pg-fd)")" -
  verdict_runs postgresql "restore / pg_restore -j$JOBS" pg-restore pg-load 0.9
  verdict_runs postgresql "restore-test / pg_restore -j$JOBS" pg-rt pg-load 1.2
  verdict postgresql "stored size / pg_dump -Fc size" "$(ratio "$STORED_BYTES" "$fc_size")" 1.05
  verdict postgresql "peak RSS, snapshot" "$(rss_mib pg-snap)" 256 lt " MiB"
  verdict postgresql "peak RSS, restore" "$(rss_mib pg-restore)" 256 lt " MiB"
  verdict postgresql "peak RSS, restore-test" "$(rss_mib pg-rt)" 256 lt " MiB"
  VERDICT_LINES+=("postgresql  $(load_note)")
  rm -rf "$dump" "$dir" "$repo"
  pg_drop "$db"
}

# ================================================================ MariaDB
bench_my() {
  local db=$BENCH_DB uri repo=$WORK/repo-my dump=$WORK/my.sql.zst mydir=$WORK/mydumper peer_db=${BENCH_DB}_peer
  local into_db=${BENCH_DB}_into i order tool t
  uri=$(my_uri "$db")
  gen_tsv
  log "MariaDB: loading into $db"
  local t0 t1
  t0=$(now_ns)
  my_recreate "$db"
  {
    echo "SET SESSION foreign_key_checks = 0, unique_checks = 0;"
    "$PYTHON3" "$GEN" ddl mysql pre
    for t in "${TABLES[@]}"; do
      printf "LOAD DATA LOCAL INFILE '%s' INTO TABLE \`%s\` CHARACTER SET utf8mb4;\n" "$TSV_DIR/$t.tsv" "$t"
    done
    "$PYTHON3" "$GEN" ddl mysql post
    printf 'ANALYZE TABLE %s;\n' "$(IFS=,; echo "${TABLES[*]}")"
  } > "$WORK/my-load.sql"
  my_client --local-infile=1 --batch "$db" < "$WORK/my-load.sql" > "$WORK/my-load.log" 2>&1 \
    || { tail -20 "$WORK/my-load.log" >&2; fail "MariaDB: loading the data failed"; }
  local n
  n=$(my_client -N -B "$db" -e "SELECT COUNT(*) FROM events") || fail "MariaDB: cannot count the loaded rows"
  [ "$n" = "$(wc -l < "$TSV_DIR/events.tsv")" ] || fail "MariaDB: LOAD DATA loaded $n events rows (warnings?)"
  t1=$(now_ns)
  log "MariaDB: loaded in $(secs "$t0" "$t1") s"
  # mydumper is not timed against a target; its dump is what myloader restores. Chunks of
  # rows let myloader load the big table on all its threads.
  local chunk_rows=$(( $(wc -l < "$TSV_DIR/events.tsv") / (4 * JOBS) + 1 ))
  my_mydumper() { rm -rf "$mydir"; "$MYDUMPER" "${MYD_CONN[@]}" -B "$db" -o "$mydir" -t "$JOBS" -r "$chunk_rows" --trx-consistency-only -v 2; }
  measure my-mydumper "mydumper -t $JOBS -r $chunk_rows (not compared)" my_mydumper
  LOADS=''
  my_snapshot() { cutover --repo "$repo" --json snapshot "$uri" -j "$JOBS"; }
  my_peer_dump() { my_dump --single-transaction --quick "$db" | "$ZSTD" -1 -q -o "$dump" -f; }
  my_restore() { cutover --repo "$repo" --json restore latest --into "$(my_uri "$into_db")" -j "$JOBS"; }
  my_restore_test() { cutover --repo "$repo" --json restore-test latest --scratch "$MY_URI" -j "$JOBS"; }
  my_myloader() { "$MYLOADER" "${MYD_CONN[@]}" -d "$mydir" -B "$peer_db" -t "$JOBS" -v 2; }
  for ((i = 1; i <= RUNS; i++)); do
    log "MariaDB run $i/$RUNS"
    order="cutover peer"; [ $((i % 2)) = 0 ] && order="peer cutover"
    for tool in $order; do
      if [ "$tool" = cutover ]; then
        rm -rf "$repo"
        measure my-snap "cutover snapshot -j$JOBS" my_snapshot
        check_snapshot_rows my-snap
      else
        measure my-dump "mariadb-dump --single-transaction --quick | zstd -1" my_peer_dump
      fi
    done
    order="cutover peer rt"; [ $((i % 2)) = 0 ] && order="rt peer cutover"
    for tool in $order; do
      case $tool in
        cutover)
          my_recreate "$into_db"
          measure my-restore "cutover restore -j$JOBS into an empty database" my_restore
          my_drop "$into_db" ;;
        rt)
          measure my-rt "cutover restore-test -j$JOBS" my_restore_test
          check_restore_test my-rt ;;
        peer)
          my_recreate "$peer_db"
          measure my-load "myloader -t $JOBS (mydumper dump)" my_myloader
          n=$(my_client -N -B "$peer_db" -e "SELECT COUNT(*) FROM events") || fail "MariaDB: cannot read the myloader'd database"
          [ "$n" = "$(wc -l < "$TSV_DIR/events.tsv")" ] || fail "MariaDB: myloader restored $n events rows"
          my_drop "$peer_db" ;;
      esac
    done
  done
  engine_header
  time_row mariadb my-snap; time_row mariadb my-dump; time_row mariadb my-mydumper
  time_row mariadb my-restore; time_row mariadb my-rt
  info_row mariadb "  of which restore (restore_seconds)" "$(echo "${RT_RESTORE[my-rt]}" | median)" "${RT_RESTORE[my-rt]% }"
  time_row mariadb my-load
  info_row mariadb "size: cutover snapshot (stored bytes)" "$STORED_BYTES" ""
  info_row mariadb "size: mariadb-dump | zstd -1" "$(stat -c %s "$dump")" ""
  VERDICT_LINES+=("")
  verdict_runs mariadb "snapshot / (mariadb-dump | zstd -1)" my-snap my-dump 0.5
  verdict_runs mariadb "restore / myloader -t $JOBS" my-restore my-load 0.4
  verdict mariadb "restore-test / myloader -t $JOBS" "$(ratio "$(med my-rt)" "$(med my-load)")" -
  verdict mariadb "peak RSS, snapshot" "$(rss_mib my-snap)" 256 lt " MiB"
  verdict mariadb "peak RSS, restore" "$(rss_mib my-restore)" 256 lt " MiB"
  verdict mariadb "peak RSS, restore-test" "$(rss_mib my-rt)" 256 lt " MiB"
  VERDICT_LINES+=("mariadb     $(load_note)")
  rm -rf "$dump" "$mydir" "$repo"
  my_drop "$db"
}

# ---------------------------------------------------------------- main
UPTIME_START=$(uptime)
log "cutover: $CUTOVER_BIN; ${SIZE_MB} MB, $RUNS timed run(s) per tool, jobs $JOBS; work dir $WORK"
log "load at start: $UPTIME_START"
[ $do_sq = 1 ] && bench_sqlite
if [ $do_pg = 1 ]; then record_pg_settings; bench_pg; fi
if [ $do_my = 1 ]; then record_my_settings; bench_my; fi
UPTIME_END=$(uptime)

printf '\nsnapshot benchmark, %s MB generated (bench/gen_data.py, seed %s), median of %s run(s), jobs %s\n' \
  "$SIZE_MB" "$SEED" "$RUNS" "$JOBS"
SRC_REV=$(git -C "$SCRIPT_DIR/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$SCRIPT_DIR/.." diff --quiet HEAD -- 2>/dev/null || SRC_REV+=" + uncommitted changes"
printf '%s, %s cores, %s (%s, source %s)\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(nproc 2>/dev/null || echo '?')" \
  "$("$CUTOVER_BIN" --version 2>/dev/null)" "$CUTOVER_BIN" "$SRC_REV"
printf 'load at start:%s\nload at end:  %s\n' "${UPTIME_START#*load}" "${UPTIME_END#*load}"
[ ${#SETTINGS_LINES[@]} = 0 ] || printf '%s\n' "${SETTINGS_LINES[@]}"
printf '%s\n' "${RESULT_LINES[@]}"
printf '\n%-11s %-52s %10s  %-12s %s\n' engine comparison value target result
printf '%s\n' "${VERDICT_LINES[@]}"

if [ "$MISSED" = 1 ] && [ "$STRICT" = 1 ]; then
  log "STRICT=1: a target was missed"
  exit 1
fi
exit 0

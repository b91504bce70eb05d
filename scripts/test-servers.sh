#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and MariaDB 10.11 servers for the tests.
#
#   scripts/test-servers.sh start   start both in a temporary directory on loopback
#   scripts/test-servers.sh stop    stop both and remove the directory
#   scripts/test-servers.sh run CMD...   start, run CMD with the URIs exported, stop (also on failure)
#   scripts/test-servers.sh env     print the env file of the running servers
#
# --profile fast|durable (before the command, default fast) chooses the servers' settings:
#   fast     the tests' servers: PostgreSQL fsync=off, shared_buffers 256MB; MariaDB
#            innodb_flush_log_at_trx_commit=0, buffer pool 256M, 512M redo log, the
#            performance_schema statement consumers on (rehearse --exec reads them).
#   durable  configured like production, for the benchmarks (bench/): PostgreSQL fsync,
#            synchronous_commit and full_page_writes on, wal_level replica, the stock
#            shared_buffers 128MB and max_wal_size 1GB; MariaDB innodb_flush_log_at_trx_commit=1,
#            doublewrite on, sync_binlog 1 (the binary log stays off, as in Debian's stock
#            configuration), stock buffer pool (128M) and redo log (96M).
# The two profiles keep separate state, so both can run at once.
#
# The servers listen on 127.0.0.1 only, on ports other than the defaults
# (PostgreSQL from 54329, MariaDB from 33069; the next free port is taken), and
# use their own data directories, so a developer's own servers are never
# touched. PostgreSQL refuses to run as root: under root both servers run as
# their Debian system users (postgres, mysql).
#
# `start` writes $CUTOVER_TEST_SERVERS_DIR/env, which exports:
#   CUTOVER_TEST_PG_URI     postgresql://cutover:...@127.0.0.1:PORT/postgres
#   CUTOVER_TEST_MYSQL_URI  mysql://cutover:...@127.0.0.1:PORT/
# and, with --profile durable, CUTOVER_BENCH_PG_URI and CUTOVER_BENCH_MYSQL_URI instead (the
# variables bench/ reads first), so a shell can hold both profiles' servers.
set -euo pipefail

PROFILE=fast
if [ "${1:-}" = --profile ]; then
  PROFILE=${2:-}
  shift 2 || true
elif [[ ${1:-} == --profile=* ]]; then
  PROFILE=${1#*=}
  shift
fi
case $PROFILE in
  fast) STATE_NAME=cutover-test-servers ;;
  durable) STATE_NAME=cutover-durable-servers ;;
  *) printf 'test-servers: error: --profile must be fast or durable (got %s)\n' "'$PROFILE'" >&2; exit 2 ;;
esac
STATE_DIR_FILE="${TMPDIR:-/tmp}/$STATE_NAME.path"
PASSWORD="c0ver-test-pw"

log() { printf 'test-servers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}

as_user() {  # as_user USER CMD...: run as USER when we are root, else as ourselves
  local user=$1; shift
  if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  die "PostgreSQL server binaries not found (apt-get install postgresql); run scripts/setup.sh"
}

start() {
  if [ -f "$STATE_DIR_FILE" ] && [ -d "$(cat "$STATE_DIR_FILE")" ]; then
    log "already running in $(cat "$STATE_DIR_FILE"); stopping the old instance first"
    stop
  fi
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/$STATE_NAME.XXXXXX")
  chmod 755 "$dir"
  echo "$dir" > "$STATE_DIR_FILE"

  # ---- PostgreSQL ----
  local bindir pg_port pg_user=postgres
  bindir=$(pg_bindir)
  pg_port=$(free_port 54329)
  mkdir -p "$dir/pg"
  printf '%s\n' "$PASSWORD" > "$dir/pg.pw"
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir/pg" "$dir/pg.pw"; fi
  as_user $pg_user "$bindir/initdb" -D "$dir/pg/data" -U cutover --pwfile="$dir/pg.pw" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/pg-initdb.log" 2>&1 \
    || { cat "$dir/pg-initdb.log" >&2; die "initdb failed"; }
  local pg_settings="-c fsync=off -c shared_buffers=256MB"
  if [ "$PROFILE" = durable ]; then
    pg_settings="-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c wal_level=replica"
    pg_settings+=" -c shared_buffers=128MB -c max_wal_size=1GB"
  fi
  as_user $pg_user "$bindir/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c max_connections=200 $pg_settings" \
    start >/dev/null || { cat "$dir/pg/server.log" >&2; die "PostgreSQL did not start"; }

  # ---- MariaDB ----
  local my_port my_user=mysql
  my_port=$(free_port 33069)
  mkdir -p "$dir/mysql/data"
  if [ "$(id -u)" = 0 ]; then chown -R mysql: "$dir/mysql"; else my_user=$(id -un); fi
  cat > "$dir/mysql/init.sql" <<SQL
CREATE USER IF NOT EXISTS 'cutover'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS 'cutover'@'localhost' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'cutover'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'cutover'@'localhost' WITH GRANT OPTION;
SQL
  [ "$(id -u)" = 0 ] && chown mysql: "$dir/mysql/init.sql"
  mariadb-install-db --no-defaults --datadir="$dir/mysql/data" --user="$my_user" \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/mysql-install.log" 2>&1 \
    || { cat "$dir/mysql-install.log" >&2; die "mariadb-install-db failed"; }
  local mariadbd my_settings=()
  mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  if [ "$PROFILE" = durable ]; then
    my_settings=(--innodb-flush-log-at-trx-commit=1 --innodb-doublewrite=1 --sync-binlog=1
      --innodb-buffer-pool-size=128M --innodb-log-file-size=96M)
  else
    my_settings=(--innodb-flush-log-at-trx-commit=0
      --performance-schema=ON --performance-schema-consumer-events-statements-current=ON
      --performance-schema-consumer-events-statements-history=ON
      --innodb-buffer-pool-size=256M --innodb-log-file-size=512M)
  fi
  "$mariadbd" --no-defaults --user="$my_user" --datadir="$dir/mysql/data" \
    --bind-address=127.0.0.1 --port="$my_port" --socket="$dir/mysql/mysqld.sock" \
    --pid-file="$dir/mysql/mysqld.pid" --log-error="$dir/mysql/server.log" \
    --init-file="$dir/mysql/init.sql" --skip-log-bin --plugin-load-add=metadata_lock_info \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --max-connections=200 "${my_settings[@]}" >/dev/null 2>&1 &
  local i
  for i in $(seq 1 120); do
    if mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u cutover -p"$PASSWORD" -e 'SELECT 1' >/dev/null 2>&1; then
      break
    fi
    [ "$i" = 120 ] && { cat "$dir/mysql/server.log" >&2; die "MariaDB did not start"; }
    sleep 0.5
  done

  if [ "$PROFILE" = durable ]; then
    cat > "$dir/env" <<ENV
export CUTOVER_DURABLE_SERVERS_DIR='$dir'
export CUTOVER_BENCH_PG_URI='postgresql://cutover:$PASSWORD@127.0.0.1:$pg_port/postgres'
export CUTOVER_BENCH_MYSQL_URI='mysql://cutover:$PASSWORD@127.0.0.1:$my_port/'
ENV
  else
    cat > "$dir/env" <<ENV
export CUTOVER_TEST_SERVERS_DIR='$dir'
export CUTOVER_TEST_PG_URI='postgresql://cutover:$PASSWORD@127.0.0.1:$pg_port/postgres'
export CUTOVER_TEST_PG_SOCKET_DIR='$dir/pg'
export CUTOVER_TEST_MYSQL_URI='mysql://cutover:$PASSWORD@127.0.0.1:$my_port/'
export CUTOVER_TEST_MYSQL_SOCKET='$dir/mysql/mysqld.sock'
ENV
  fi
  log "$PROFILE profile: PostgreSQL on 127.0.0.1:$pg_port, MariaDB on 127.0.0.1:$my_port (state in $dir)"
}

stop() {
  [ -f "$STATE_DIR_FILE" ] || return 0
  local dir
  dir=$(cat "$STATE_DIR_FILE")
  if [ -d "$dir/pg/data" ]; then
    as_user postgres "$(pg_bindir)/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/mysql/mysqld.pid" ]; then
    local pid
    pid=$(cat "$dir/mysql/mysqld.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
  rm -f "$STATE_DIR_FILE"
  log "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) cat "$(cat "$STATE_DIR_FILE")/env" ;;
  run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run CMD..."
    trap stop EXIT
    start
    # shellcheck disable=SC1091
    . "$(cat "$STATE_DIR_FILE")/env"
    "$@"
    ;;
  *) echo "usage: $0 [--profile fast|durable] start|stop|env|run CMD..." >&2; exit 2 ;;
esac

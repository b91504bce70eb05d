#!/usr/bin/env bash
# Throwaway PostgreSQL 15 and MariaDB 10.11 servers for the tests.
#
#   scripts/test-servers.sh start   start both in a temporary directory on loopback
#   scripts/test-servers.sh stop    stop both and remove the directory
#   scripts/test-servers.sh run CMD...   start, run CMD with the URIs exported, stop (also on failure)
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
set -euo pipefail

STATE_DIR_FILE="${TMPDIR:-/tmp}/cutover-test-servers.path"
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
  dir=$(mktemp -d "${TMPDIR:-/tmp}/cutover-test-servers.XXXXXX")
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
  as_user $pg_user "$bindir/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir/pg -c max_connections=200 -c fsync=off -c shared_buffers=256MB" \
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
  local mariadbd
  mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  "$mariadbd" --no-defaults --user="$my_user" --datadir="$dir/mysql/data" \
    --bind-address=127.0.0.1 --port="$my_port" --socket="$dir/mysql/mysqld.sock" \
    --pid-file="$dir/mysql/mysqld.pid" --log-error="$dir/mysql/server.log" \
    --init-file="$dir/mysql/init.sql" --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
    --plugin-load-add=metadata_lock_info \
    --performance-schema=ON --performance-schema-consumer-events-statements-current=ON \
    --performance-schema-consumer-events-statements-history=ON \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --max-connections=200 --innodb-buffer-pool-size=256M --innodb-log-file-size=512M >/dev/null 2>&1 &
  local i
  for i in $(seq 1 120); do
    if mariadb --no-defaults -h 127.0.0.1 -P "$my_port" -u cutover -p"$PASSWORD" -e 'SELECT 1' >/dev/null 2>&1; then
      break
    fi
    [ "$i" = 120 ] && { cat "$dir/mysql/server.log" >&2; die "MariaDB did not start"; }
    sleep 0.5
  done

  cat > "$dir/env" <<ENV
export CUTOVER_TEST_SERVERS_DIR='$dir'
export CUTOVER_TEST_PG_URI='postgresql://cutover:$PASSWORD@127.0.0.1:$pg_port/postgres'
export CUTOVER_TEST_PG_SOCKET_DIR='$dir/pg'
export CUTOVER_TEST_MYSQL_URI='mysql://cutover:$PASSWORD@127.0.0.1:$my_port/'
export CUTOVER_TEST_MYSQL_SOCKET='$dir/mysql/mysqld.sock'
ENV
  log "PostgreSQL on 127.0.0.1:$pg_port, MariaDB on 127.0.0.1:$my_port (state in $dir)"
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
  *) echo "usage: $0 start|stop|env|run CMD..." >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need.
# Idempotent: installs only what is missing (no apt-get update when nothing is).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libpqxx-dev libpq-dev libmysqlcppconn-dev libmariadb-dev libsqlite3-dev libzstd-dev zlib1g-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libssl-dev
  libgtest-dev libxxhash-dev libpg-query-dev libsodium-dev
  zstd mydumper shellcheck
  clang libclang-rt-14-dev llvm
  sqitch libdbd-pg-perl libdbd-mysql-perl libdbd-sqlite3-perl alembic python3-psycopg2 python3-pymysql
  chromium
  postgresql postgresql-contrib mariadb-server mariadb-client sqlite3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The server packages must not start their default instances: the tests run
# their own, on other ports (scripts/test-servers.sh).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

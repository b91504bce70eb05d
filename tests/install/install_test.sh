#!/usr/bin/env bash
# install_test: an installed cutover finds its plugins relative to its own
# binary, wherever the installation was put.
#
# Installs the build tree three ways and runs each installed binary with a
# clean environment (no CUTOVER_DRIVER_PATH, no config) from an unrelated
# directory, so only the loader's built-in search path can find the plugins:
#   1. cmake --install BUILD --prefix TMP/prefix
#   2. DESTDIR=TMP/destdir cmake --install BUILD       (the configured prefix)
#   3. cpack -G DEB, unpacked with dpkg-deb -x           (when cpack and dpkg-deb exist)
# Each time `cutover drivers` must load every built plugin from
# <prefix>/<libdir>/cutover/drivers (the binary's directory has no drivers/,
# and the compiled-in install directory is a different one), and a SQLite
# snapshot and restore-test must succeed with that binary. It fails when the
# relative lookup is broken: the plugins are then not found at all.
#
# Usage (tests/CMakeLists.txt registers it with ctest):
#   install_test.sh CMAKE CPACK BUILD_DIR SOURCE_DIR LIBDIR PREFIX DRIVER,DRIVER...
set -euo pipefail

if [ $# -ne 7 ]; then
  echo "usage: $0 CMAKE CPACK BUILD_DIR SOURCE_DIR LIBDIR PREFIX DRIVER,DRIVER..." >&2
  exit 2
fi
cmake_cmd=$1 cpack_cmd=$2 build=$3 source=$4 libdir=$5 prefix=$6
IFS=',' read -r -a drivers <<<"$7"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

case "$libdir" in
/*) fail "CMAKE_INSTALL_LIBDIR is absolute ($libdir): the plugins do not move with --prefix" ;;
esac
[ ${#drivers[@]} -gt 0 ] || fail "no driver plugin is built: nothing to install"
command -v sqlite3 >/dev/null || fail "sqlite3 (the command-line shell) is needed to make the test database (scripts/setup.sh installs it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cutover-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cwd" "$work/home"

# Runs a command as a user would after installing: empty environment except
# PATH and HOME, from a directory that is neither the build nor the install.
run_clean() {
  (cd "$work/cwd" && env -i PATH=/usr/bin:/bin HOME="$work/home" "$@")
}

# check_installed LABEL BIN DRIVER_DIR: the binary at BIN loads every plugin
# from DRIVER_DIR and can snapshot and restore-test a SQLite database.
check_installed() {
  local label=$1 bin=$2 driver_dir=$3 out rc
  echo "== $label: $bin"
  [ -x "$bin" ] || fail "$label: no executable $bin"
  [ ! -e "$(dirname "$bin")/drivers" ] ||
    fail "$label: $(dirname "$bin")/drivers exists; it would hide the lookup relative to the binary"
  for d in "${drivers[@]}"; do
    [ -f "$driver_dir/cutover_driver_$d.so" ] || fail "$label: $driver_dir/cutover_driver_$d.so was not installed"
  done

  rc=0
  out=$(run_clean "$bin" drivers 2>&1) || rc=$?
  echo "$out"
  [ "$rc" -eq 0 ] || fail "$label: 'cutover drivers' exited $rc"
  for d in "${drivers[@]}"; do
    grep -qF "file:   $driver_dir/cutover_driver_$d.so" <<<"$out" ||
      fail "$label: driver '$d' was not loaded from $driver_dir"
  done
  if grep -qF "$build/" <<<"$out"; then fail "$label: the build tree is on the search path"; fi

  case " ${drivers[*]} " in
  *" sqlite "*) ;;
  *) return 0 ;;
  esac
  local case_dir="$work/run-$label"
  mkdir -p "$case_dir/scratch"
  sqlite3 "$case_dir/shop.db" <"$source/fixtures/sqlite/shop.sql"
  sqlite3 "$case_dir/shop.db" "INSERT INTO customers (email, full_name) VALUES ('a@example.org', 'A'), ('b@example.org', 'B');"
  run_clean "$bin" --repo "$case_dir/repo" snapshot "sqlite://$case_dir/shop.db" ||
    fail "$label: snapshot of a SQLite database failed"
  run_clean "$bin" --repo "$case_dir/repo" restore-test latest --scratch "sqlite://$case_dir/scratch" ||
    fail "$label: restore-test of the SQLite snapshot failed"
}

# 1. Another prefix.
"$cmake_cmd" --install "$build" --prefix "$work/prefix" >/dev/null
check_installed prefix "$work/prefix/bin/cutover" "$work/prefix/$libdir/cutover/drivers"

# 2. DESTDIR staging under the configured prefix: every installed file (the
# manifest lists them without DESTDIR) must be under DESTDIR.
DESTDIR="$work/destdir" "$cmake_cmd" --install "$build" >/dev/null
while read -r f; do
  [ -e "$work/destdir$f" ] || fail "DESTDIR install: $f is not under $work/destdir"
done <"$build/install_manifest.txt"
check_installed destdir "$work/destdir$prefix/bin/cutover" "$work/destdir$prefix/$libdir/cutover/drivers"

# 3. The Debian package: its file list, its Depends, and the unpacked binary.
if command -v "$cpack_cmd" >/dev/null && command -v dpkg-deb >/dev/null; then
  "$cpack_cmd" -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >/dev/null ||
    fail "cpack -G DEB failed"
  debs=("$work"/pkg/*.deb)
  [ -f "${debs[0]}" ] || fail "cpack produced no .deb in $work/pkg"
  contents=$(dpkg-deb -c "${debs[0]}")
  grep -qE ' \./usr/bin/cutover$' <<<"$contents" || fail "the .deb has no ./usr/bin/cutover"
  for d in "${drivers[@]}"; do
    grep -qE " \./usr/$libdir/cutover/drivers/cutover_driver_$d\.so$" <<<"$contents" ||
      fail "the .deb has no ./usr/$libdir/cutover/drivers/cutover_driver_$d.so"
  done
  depends=$(dpkg-deb -f "${debs[0]}" Depends)
  echo "== deb: $(basename "${debs[0]}"), Depends: $depends"
  grep -q 'libc6' <<<"$depends" || fail "the .deb's Depends does not name libc6: '$depends'"
  dpkg-deb -x "${debs[0]}" "$work/debroot"
  check_installed deb "$work/debroot/usr/bin/cutover" "$work/debroot/usr/$libdir/cutover/drivers"
else
  echo "== deb: not checked (cpack or dpkg-deb missing)"
fi
echo "install_test: OK"

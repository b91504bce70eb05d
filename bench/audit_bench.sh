#!/usr/bin/env bash
# Audit log benchmark: `cutover audit verify` over a million entries, against the floor of the
# same work done by standard tools in the same run (sqlite3 streaming every row's bytes into
# one sha256sum), with PASS/MISS:
#
#   verify      wall time of `cutover audit verify` on N entries                       < 10 s
#   vs floor    that time / (sqlite3 ... | sha256sum over the same rows)    printed (no target)
#   memory      peak RSS of `cutover audit verify` (/usr/bin/time)         < 64 MiB (streams)
#   listing     peak RSS of `cutover audit --json` over the same log       < 64 MiB (streams)
#
# The log: one real entry written by `cutover snapshot` (creates the repository and catalog),
# then N-1 entries computed by bench/gen_audit.py exactly as cutover chains them (canonical JSON,
# SHA-256 over the previous hash, seq, alg and content) and inserted in one transaction. A
# final `cutover verify` appends one more entry through cutover, so the generated chain is
# proven to be one cutover extends and accepts.
#
# Usage: bench/audit_bench.sh [--entries N]    (default 1,000,000)
# Environment: CUTOVER_BIN (default build/cutover), STRICT=1 (exit 1 when a target is
# missed), KEEP=1 (keep the work directory).
# Exit status: 0 measured, 1 a target missed with STRICT=1, 2 usage error, 3 a step failed.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENTRIES=1000000
log() { printf 'audit_bench: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 3; }
while [ $# -gt 0 ]; do
  case $1 in
    --entries) ENTRIES=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument $1 (see --help)"; exit 2 ;;
  esac
done
[[ "$ENTRIES" =~ ^[0-9]+$ ]] && [ "$ENTRIES" -ge 2 ] || { log "--entries needs a number >= 2"; exit 2; }

CUTOVER_BIN=${CUTOVER_BIN:-$SCRIPT_DIR/../build/cutover}
[ -x "$CUTOVER_BIN" ] || fail "no cutover binary at $CUTOVER_BIN (build first)"
for tool in sqlite3 sha256sum python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || fail "$tool is needed"
done
WORK=$(mktemp -d /tmp/cutover-audit-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
cutover() { "$CUTOVER_BIN" --repo "$WORK/repo" --no-progress "$@"; }
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

sqlite3 shop.db "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);"
cutover snapshot sqlite:shop.db >/dev/null || fail "snapshot"
t0=$(now)
python3 "$SCRIPT_DIR/gen_audit.py" repo/catalog.db "$ENTRIES" || fail "generating the log"
log "generated $ENTRIES entries in $(secs "$t0" "$(now)") s"
cutover verify latest >/dev/null || fail "verify"
total=$((ENTRIES + 1))

t0=$(now)
/usr/bin/time -f %M -o rss_verify "$CUTOVER_BIN" --repo "$WORK/repo" --json audit verify > verify.json ||
  fail "audit verify: $(cat verify.json)"
verify_s=$(secs "$t0" "$(now)")
python3 -c "import json,sys; d=json.load(open('verify.json')); sys.exit(0 if d['ok'] and d['entries']==$total else 1)" ||
  fail "audit verify did not find $total intact entries: $(cat verify.json)"

t0=$(now)
sqlite3 repo/catalog.db "SELECT seq, alg, content, hash FROM audit_log ORDER BY seq" | sha256sum >/dev/null
floor_s=$(secs "$t0" "$(now)")

t0=$(now)
/usr/bin/time -f %M -o rss_list "$CUTOVER_BIN" --repo "$WORK/repo" --json audit > list.json
list_s=$(secs "$t0" "$(now)")

rss_verify=$(( $(cat rss_verify) / 1024 ))
rss_list=$(( $(cat rss_list) / 1024 ))
MISSED=0
verdict() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo PASS; else echo MISS; MISSED=1; fi; }
printf '%-10s %-66s %s\n' verify "$total entries in $verify_s s ($(python3 -c "print(int($total/$verify_s))") entries/s), target < 10 s" "$(verdict "$verify_s < 10")"
printf '%-10s %-66s %s\n' "vs floor" "sqlite3 | sha256sum over the same rows: $floor_s s, ratio $(python3 -c "print(f'{$verify_s/$floor_s:.2f}')")" "-"
printf '%-10s %-66s %s\n' memory "verify peak RSS $rss_verify MiB, target < 64 MiB" "$(verdict "$rss_verify < 64")"
printf '%-10s %-66s %s\n' listing "audit --json: $list_s s, peak RSS $rss_list MiB, target < 64 MiB" "$(verdict "$rss_list < 64")"
[ "${STRICT:-0}" = 1 ] && [ "$MISSED" = 1 ] && exit 1
exit 0

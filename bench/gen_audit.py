#!/usr/bin/env python3
"""Appends N-1 audit entries to a cutover catalog, chained exactly as cutover chains them
(src/audit/audit_log.cc, docs/audit.md), for bench/audit_bench.sh.

Usage: gen_audit.py CATALOG.db N
The catalog must exist and hold at least one entry written by cutover: the generated entries
extend its head, so `cutover audit verify` checks cutover's own entry and these alike.
"""
import hashlib
import json
import sqlite3
import sys


def canonical(value):
    # nlohmann::json's dump(): keys sorted, no spaces, UTF-8 as is.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev, seq, alg, content):
    h = hashlib.sha256()
    h.update(f"cutover-audit-v1\n{prev}\n{seq}\n{alg}\n".encode())
    h.update(content.encode())
    return h.hexdigest()


def main():
    path, total = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    seq, prev = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    actions = ["snapshot", "verify", "restore-test", "rehearse", "gate", "apply.start", "apply.end"]
    rows = []
    db.execute("BEGIN IMMEDIATE")
    for i in range(total - 1):
        seq += 1
        content = canonical({
            "v": 1, "seq": seq, "at": "2026-12-07T00:00:00Z", "action": actions[i % len(actions)],
            "target": "prod", "actor": "bench@host", "db_user": "app",
            "detail": {"snapshot": f"20261207T000000.000Z-{i:06x}", "ok": True, "rows": i},
        })
        prev = chain_hash(prev, seq, "sha256", content)
        rows.append((seq, "sha256", content, prev))
        if len(rows) == 10000:
            db.executemany("INSERT INTO audit_log (seq, alg, content, hash) VALUES (?, ?, ?, ?)", rows)
            rows.clear()
    db.executemany("INSERT INTO audit_log (seq, alg, content, hash) VALUES (?, ?, ?, ?)", rows)
    db.commit()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Data generator for bench/snapshot_bench.sh: one logical dataset, three engines.

Generates a deterministic (seeded), realistic and poorly compressible dataset: mixed types
(ints, bigints, numerics, doubles, timestamps, booleans, UUIDs), random text of varying
lengths and JSON documents, in a few tables of different sizes:

  events      ~60 %  the big one (bigint key: cutover splits it into ranges)
  orders      ~18 %  foreign keys to accounts and products
  accounts    ~10 %  unique e-mail, JSON settings, optional bio
  audit_log   ~10 %  no primary key (cannot be split)
  products     ~2 %  long descriptions
  settings     200 rows
  archive_2019 empty

Text is made of random "words" (letters drawn uniformly, ~4.7 bits of entropy a character),
so zstd/gzip cannot shrink it much, unlike pgbench's filler; the timestamps, numbers and JSON
keys compress as they would in a real database. Overall zstd -1 keeps about 55 % of the bytes.

Usage:
  gen_data.py ddl ENGINE pre|post           DDL (pre: tables; post: indexes, constraints)
  gen_data.py tables                        the table names, one per line, in load order
  gen_data.py tsv DIR --size-mb N [--seed S]
      writes DIR/<table>.tsv in PostgreSQL COPY text / MariaDB LOAD DATA format
      (tab separated, \\N for NULL; generated text holds no tab, newline or backslash)
  gen_data.py sqlite FILE --size-mb N [--seed S]
      creates FILE (must not exist) with the tables, rows and indexes

ENGINE: postgresql, mysql, sqlite. The same --size-mb and --seed give the same rows in every
format. --size-mb is the size of the data in text form (the TSV files), not on disk.
Python 3.9+, standard library only.
"""

import argparse
import datetime
import json
import os
import random
import sqlite3
import sys

# ---------------------------------------------------------------- schema
# Column lists (load order). Types per engine follow.
TABLES = ["settings", "products", "accounts", "orders", "events", "audit_log", "archive_2019"]

# Share of --size-mb per table and the average text-form row size (bytes, measured) used to
# turn it into a row count, so every format gets the same rows without generating twice.
SHARES = {
    "products": (0.02, 1442),
    "accounts": (0.10, 624),
    "orders": (0.18, 145),
    "events": (0.60, 919),
    "audit_log": (0.10, 247),
}

DDL_PRE = {
    "postgresql": """
CREATE TABLE settings (key varchar(64) NOT NULL, value text, updated_at timestamp NOT NULL);
CREATE TABLE products (id integer NOT NULL, sku varchar(32) NOT NULL, title varchar(200) NOT NULL,
  description text, price numeric(10,2) NOT NULL, stock integer NOT NULL, weight_g integer,
  attrs jsonb, created_at timestamp NOT NULL);
CREATE TABLE accounts (id bigint NOT NULL, email varchar(120) NOT NULL, full_name varchar(80) NOT NULL,
  country char(2) NOT NULL, balance numeric(18,6) NOT NULL, credit_limit numeric(12,2),
  is_active boolean NOT NULL, created_at timestamp NOT NULL, last_login timestamptz, bio text,
  settings jsonb);
CREATE TABLE orders (id bigint NOT NULL, account_id bigint NOT NULL, product_id integer NOT NULL,
  quantity integer NOT NULL, unit_price numeric(10,2) NOT NULL, total numeric(12,2) NOT NULL,
  status varchar(16) NOT NULL, is_gift boolean NOT NULL, placed_at timestamp NOT NULL,
  shipped_at timestamp, note text, tracking uuid);
CREATE TABLE events (id bigint NOT NULL, account_id bigint NOT NULL, kind smallint NOT NULL,
  source varchar(32) NOT NULL, occurred_at timestamptz NOT NULL, duration_ms integer,
  value double precision, amount numeric(14,4), success boolean NOT NULL, session_id uuid,
  message text, payload jsonb);
CREATE TABLE audit_log (logged_at timestamp NOT NULL, actor varchar(64) NOT NULL,
  action varchar(32) NOT NULL, object_id bigint, details text);
CREATE TABLE archive_2019 (logged_at timestamp NOT NULL, actor varchar(64) NOT NULL,
  action varchar(32) NOT NULL, object_id bigint, details text);
""",
    "mysql": """
CREATE TABLE settings (`key` varchar(64) NOT NULL PRIMARY KEY, value text,
  updated_at datetime(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE products (id int NOT NULL PRIMARY KEY, sku varchar(32) NOT NULL,
  title varchar(200) NOT NULL, description text, price decimal(10,2) NOT NULL, stock int NOT NULL,
  weight_g int, attrs json, created_at datetime(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE accounts (id bigint NOT NULL PRIMARY KEY, email varchar(120) NOT NULL,
  full_name varchar(80) NOT NULL, country char(2) NOT NULL, balance decimal(18,6) NOT NULL,
  credit_limit decimal(12,2), is_active boolean NOT NULL, created_at datetime(6) NOT NULL,
  last_login timestamp(6) NULL DEFAULT NULL, bio text, settings json)
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (id bigint NOT NULL PRIMARY KEY, account_id bigint NOT NULL,
  product_id int NOT NULL, quantity int NOT NULL, unit_price decimal(10,2) NOT NULL,
  total decimal(12,2) NOT NULL, status varchar(16) NOT NULL, is_gift boolean NOT NULL,
  placed_at datetime(6) NOT NULL, shipped_at datetime(6), note text,
  tracking char(36) CHARACTER SET ascii) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE events (id bigint NOT NULL PRIMARY KEY, account_id bigint NOT NULL,
  kind smallint NOT NULL, source varchar(32) NOT NULL, occurred_at datetime(6) NOT NULL,
  duration_ms int, value double, amount decimal(14,4), success boolean NOT NULL,
  session_id char(36) CHARACTER SET ascii, message text, payload json)
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE audit_log (logged_at datetime(6) NOT NULL, actor varchar(64) NOT NULL,
  action varchar(32) NOT NULL, object_id bigint, details text) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE archive_2019 (logged_at datetime(6) NOT NULL, actor varchar(64) NOT NULL,
  action varchar(32) NOT NULL, object_id bigint, details text) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
""",
    "sqlite": """
CREATE TABLE settings (key TEXT NOT NULL PRIMARY KEY, value TEXT, updated_at TEXT NOT NULL);
CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL,
  description TEXT, price NUMERIC NOT NULL, stock INTEGER NOT NULL, weight_g INTEGER, attrs TEXT,
  created_at TEXT NOT NULL);
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, full_name TEXT NOT NULL,
  country TEXT NOT NULL, balance NUMERIC NOT NULL, credit_limit NUMERIC, is_active INTEGER NOT NULL,
  created_at TEXT NOT NULL, last_login TEXT, bio TEXT, settings TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id),
  product_id INTEGER NOT NULL REFERENCES products (id), quantity INTEGER NOT NULL,
  unit_price NUMERIC NOT NULL, total NUMERIC NOT NULL, status TEXT NOT NULL, is_gift INTEGER NOT NULL,
  placed_at TEXT NOT NULL, shipped_at TEXT, note TEXT, tracking TEXT);
CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind INTEGER NOT NULL,
  source TEXT NOT NULL, occurred_at TEXT NOT NULL, duration_ms INTEGER, value REAL, amount NUMERIC,
  success INTEGER NOT NULL, session_id TEXT, message TEXT, payload TEXT);
CREATE TABLE audit_log (logged_at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  object_id INTEGER, details TEXT);
CREATE TABLE archive_2019 (logged_at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  object_id INTEGER, details TEXT);
""",
}

DDL_POST = {
    "postgresql": """
ALTER TABLE settings ADD PRIMARY KEY (key);
ALTER TABLE products ADD PRIMARY KEY (id);
ALTER TABLE accounts ADD PRIMARY KEY (id);
ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX products_sku_uq ON products (sku);
CREATE UNIQUE INDEX accounts_email_uq ON accounts (email);
CREATE INDEX orders_account_placed_idx ON orders (account_id, placed_at);
CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at);
CREATE INDEX audit_log_logged_at_idx ON audit_log (logged_at);
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE orders ADD CONSTRAINT orders_product_fk FOREIGN KEY (product_id) REFERENCES products (id);
""",
    "mysql": """
CREATE UNIQUE INDEX products_sku_uq ON products (sku);
CREATE UNIQUE INDEX accounts_email_uq ON accounts (email);
CREATE INDEX orders_account_placed_idx ON orders (account_id, placed_at);
CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at);
CREATE INDEX audit_log_logged_at_idx ON audit_log (logged_at);
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE orders ADD CONSTRAINT orders_product_fk FOREIGN KEY (product_id) REFERENCES products (id);
""",
    "sqlite": """
CREATE UNIQUE INDEX products_sku_uq ON products (sku);
CREATE UNIQUE INDEX accounts_email_uq ON accounts (email);
CREATE INDEX orders_account_placed_idx ON orders (account_id, placed_at);
CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at);
CREATE INDEX audit_log_logged_at_idx ON audit_log (logged_at);
""",
}

# ---------------------------------------------------------------- value helpers
# Random bytes -> lower-case letters and spaces (about one character in six is a space), so
# text looks like words of random length. No tab, newline, backslash or quote can appear.
_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_WORDS = bytes(_LETTERS[i % 26] if i < 212 else 0x20 for i in range(256))
_HEX = b"0123456789abcdef" * 16
EPOCH = datetime.datetime(2020, 1, 1)
FIVE_YEARS = 5 * 365 * 86400
FIRST = ["Anna", "Ben", "Chloé", "Dmitri", "Elif", "Farid", "Gabriel", "Hana", "Ingrid", "Jürgen",
         "Kenji", "Laura", "Mateo", "Nadia", "Olivier", "Priya", "Quentin", "Rosa", "Søren", "Tomás",
         "Ute", "Vikram", "Wei", "Xóchitl", "Yusuf", "Zoë"]
LAST = ["Smith", "Müller", "García", "Rossi", "Nowak", "Dubois", "Öztürk", "Tanaka", "Kowalski",
        "Jensen", "Ivanova", "O'Brien", "Silva", "Nguyen", "Haddad", "Andersson", "Costa", "Kim"]
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "ES", "IT", "NL", "SE", "PL", "TR", "KR"]
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"]
SOURCES = ["web", "ios", "android", "api", "batch", "partner-feed", "support-console"]
ACTIONS = ["login", "logout", "update", "delete", "create", "export", "grant", "revoke"]


class Gen:
    """Values for one table, from its own seeded generator."""

    def __init__(self, seed, table):
        self.r = random.Random(f"{seed}/{table}")
        self._random = self.r.random

    # random.randint/randrange/choice are several times slower than this and dominate the
    # generation time; the tiny bias of int(random() * n) does not matter here.
    def int(self, lo, hi):
        return lo + int(self._random() * (hi - lo + 1))

    def pick(self, seq):
        return seq[int(self._random() * len(seq))]

    def chance(self, p):
        return self._random() < p

    def text(self, lo, hi):
        return self.r.randbytes(self.int(lo, hi)).translate(_WORDS).decode("ascii").strip() or "x"

    def word(self, lo=3, hi=10):
        return self.r.randbytes(self.int(lo, hi)).translate(_WORDS).decode("ascii").replace(" ", "e")

    def ts(self):
        t = EPOCH + datetime.timedelta(seconds=int(self._random() * FIVE_YEARS))
        return f"{t:%Y-%m-%d %H:%M:%S}.{int(self._random() * 1000000):06d}"

    def uuid(self):
        h = self.r.randbytes(16).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def money(self, hi, digits=2):
        return f"{self.r.uniform(0, hi):.{digits}f}"

    def maybe(self, p_null, value_fn):
        return None if self._random() < p_null else value_fn()


def rows_settings(g, n):
    for i in range(n):
        yield (f"feature.{i:04d}.{g.word()}", g.maybe(0.1, lambda: g.text(5, 200)), g.ts())


def rows_products(g, n):
    for i in range(1, n + 1):
        attrs = {"color": g.word(), "size": g.pick(["S", "M", "L", "XL"]),
                 "tags": [g.word() for _ in range(g.int(0, 6))],
                 "dims": {"w": g.int(1, 500), "h": g.int(1, 500), "d": g.int(1, 500)}}
        yield (i, f"SKU-{i:08d}-{g.word(4, 4).upper()}", g.text(10, 120), g.maybe(0.05, lambda: g.text(200, 2400)),
               g.money(5000), g.int(0, 100000), g.maybe(0.2, lambda: g.int(1, 50000)),
               json.dumps(attrs, separators=(",", ":")), g.ts())


def rows_accounts(g, n):
    r = g.r
    for i in range(1, n + 1):
        first, last = g.pick(FIRST), g.pick(LAST)
        settings = {"lang": g.pick(["en", "de", "fr", "ja", "pt"]), "theme": g.pick(["dark", "light"]),
                    "notify": {"email": g.chance(0.5), "sms": g.chance(0.2)},
                    "limits": [g.int(0, 10 ** 6) for _ in range(g.int(0, 5))],
                    "note": g.text(0, 80)}
        yield (i, f"{g.word()}.{g.word()}{i}@{g.word(4, 12)}.example", f"{first} {last}", g.pick(COUNTRIES),
               f"{r.uniform(-1e5, 1e7):.6f}", g.maybe(0.3, lambda: g.money(50000)), int(g.chance(0.9)),
               g.ts(), g.maybe(0.25, g.ts), g.maybe(0.4, lambda: g.text(20, 1200)),
               g.maybe(0.1, lambda: json.dumps(settings, separators=(",", ":"))))


def rows_orders(g, n, n_accounts, n_products):
    r = g.r
    for i in range(1, n + 1):
        qty = g.int(1, 20)
        unit = r.uniform(0.5, 2000)
        yield (i, g.int(1, n_accounts), g.int(1, n_products), qty, f"{unit:.2f}", f"{unit * qty:.2f}",
               g.pick(STATUSES), int(g.chance(0.05)), g.ts(), g.maybe(0.3, g.ts),
               g.maybe(0.7, lambda: g.text(5, 160)), g.maybe(0.2, g.uuid))


def rows_events(g, n, n_accounts):
    r = g.r
    for i in range(1, n + 1):
        payload = {"ip": f"10.{g.int(0, 255)}.{g.int(0, 255)}.{g.int(0, 255)}",
                   "agent": g.text(20, 90), "trace": r.randbytes(8).hex(),
                   "items": [{"sku": f"SKU-{g.int(0, 10 ** 8 - 1):08d}", "qty": g.int(1, 9),
                              "price": round(r.uniform(1, 900), 2)} for _ in range(g.int(0, 6))],
                   "flags": {"beta": g.chance(0.1), "retry": g.int(0, 3)}}
        if g.chance(0.3):
            payload["comment"] = g.text(20, 400)
        yield (i, g.int(1, n_accounts), g.int(1, 40), g.pick(SOURCES), g.ts(),
               g.maybe(0.1, lambda: g.int(0, 120000)), g.maybe(0.05, lambda: repr(r.gauss(100, 250))),
               g.maybe(0.5, lambda: f"{r.uniform(-1e6, 1e6):.4f}"), int(g.chance(0.97)),
               g.maybe(0.02, g.uuid), g.maybe(0.1, lambda: g.text(10, 1000)),
               g.maybe(0.03, lambda: json.dumps(payload, separators=(",", ":"))))


def rows_audit(g, n, n_accounts):
    for _ in range(n):
        yield (g.ts(), f"{g.pick(FIRST).lower()}.{g.word()}", g.pick(ACTIONS),
               g.maybe(0.1, lambda: g.int(1, n_accounts)), g.maybe(0.05, lambda: g.text(10, 400)))


def row_counts(size_mb):
    total = size_mb * 1000 * 1000
    counts = {t: max(1, int(total * share / avg)) for t, (share, avg) in SHARES.items()}
    counts["settings"] = 200
    counts["archive_2019"] = 0
    return counts


def table_rows(table, seed, counts):
    g = Gen(seed, table)
    n = counts[table]
    if table == "settings":
        return rows_settings(g, n)
    if table == "products":
        return rows_products(g, n)
    if table == "accounts":
        return rows_accounts(g, n)
    if table == "orders":
        return rows_orders(g, n, counts["accounts"], counts["products"])
    if table == "events":
        return rows_events(g, n, counts["accounts"])
    if table == "audit_log":
        return rows_audit(g, n, counts["accounts"])
    return iter(())


# ---------------------------------------------------------------- outputs
def write_tsv(out_dir, size_mb, seed):
    os.makedirs(out_dir, exist_ok=True)
    counts = row_counts(size_mb)
    for table in TABLES:
        path = os.path.join(out_dir, table + ".tsv")
        written = 0
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            buf = []
            for row in table_rows(table, seed, counts):
                buf.append("\t".join("\\N" if v is None else str(v) for v in row))
                if len(buf) == 2000:
                    s = "\n".join(buf) + "\n"
                    written += len(s)
                    f.write(s)
                    buf = []
            if buf:
                s = "\n".join(buf) + "\n"
                written += len(s)
                f.write(s)
        print(f"{table}\t{counts[table]}\t{os.path.getsize(path)}", file=sys.stderr)


def write_sqlite(path, size_mb, seed):
    if os.path.exists(path):
        sys.exit(f"gen_data.py: {path} exists; remove it first")
    counts = row_counts(size_mb)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(DDL_PRE["sqlite"])  # executescript commits first: create, then BEGIN
    db.execute("BEGIN")
    for table in TABLES:
        ncols = {"settings": 3, "products": 9, "accounts": 11, "orders": 12, "events": 12,
                 "audit_log": 5, "archive_2019": 5}[table]
        db.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * ncols)})", table_rows(table, seed, counts))
        print(f"{table}\t{counts[table]}", file=sys.stderr)
    db.execute("COMMIT")
    db.executescript(DDL_POST["sqlite"])
    db.execute("ANALYZE")
    db.close()


def main():
    p = argparse.ArgumentParser(description="snapshot benchmark data generator (see the module docstring)")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("ddl")
    d.add_argument("engine", choices=sorted(DDL_PRE))
    d.add_argument("part", choices=["pre", "post"])
    sub.add_parser("tables")
    for name in ("tsv", "sqlite"):
        s = sub.add_parser(name)
        s.add_argument("out")
        s.add_argument("--size-mb", type=int, required=True)
        s.add_argument("--seed", default="cutover-bench-1")
    a = p.parse_args()
    if a.cmd == "ddl":
        sys.stdout.write((DDL_PRE if a.part == "pre" else DDL_POST)[a.engine].lstrip())
    elif a.cmd == "tables":
        print("\n".join(TABLES))
    else:
        if a.size_mb < 1 or a.size_mb > 100000:
            sys.exit("gen_data.py: --size-mb must be 1..100000")
        (write_tsv if a.cmd == "tsv" else write_sqlite)(a.out, a.size_mb, a.seed)


if __name__ == "__main__":
    main()

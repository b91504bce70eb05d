-- cutover:no-transaction
--
-- customers.country_code must name a known country: a countries table and a foreign
-- key to it.
--
-- SQLite cannot add a constraint to an existing table: ALTER TABLE has no ADD
-- CONSTRAINT. The only way is SQLite's documented table rebuild
-- (https://www.sqlite.org/lang_altertable.html#otheralter): create the new table,
-- copy the rows, drop the old one, rename the new one, recreate its indexes and
-- triggers, check the foreign keys.
--
-- Why no-transaction: orders references customers, and with foreign keys on,
-- DROP TABLE customers runs an implicit DELETE that orders' ON DELETE RESTRICT
-- refuses. PRAGMA foreign_keys = OFF is the documented way, and it is a no-op inside
-- a transaction, so this file runs statement by statement.
-- The price: between the copy and the rename, a write to customers from another
-- connection would be lost or fail. Stop the app's writers (SQLite is usually
-- embedded in one process) while this file runs; it holds the write lock for the
-- copy anyway.
-- The table keeps its exact columns, in order, as 0001-0005 left them.
CREATE TABLE countries (
  code  TEXT PRIMARY KEY CHECK (length(code) = 2),
  name  TEXT
);

INSERT INTO countries (code, name) VALUES
  ('AT', 'Austria'), ('BE', 'Belgium'), ('CH', 'Switzerland'), ('DE', 'Germany'),
  ('ES', 'Spain'), ('FR', 'France'), ('GB', 'United Kingdom'), ('IE', 'Ireland'),
  ('IT', 'Italy'), ('NL', 'Netherlands'), ('PT', 'Portugal'), ('US', 'United States');
-- Every code already in use, so the existing rows stay valid.
INSERT OR IGNORE INTO countries (code)
SELECT DISTINCT country_code FROM customers WHERE country_code IS NOT NULL;

PRAGMA foreign_keys = OFF;

CREATE TABLE customers_new (
  id            INTEGER PRIMARY KEY,
  email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
  created_at    TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  deleted_at    TEXT,
  first_name    TEXT,
  last_name     TEXT,
  country_code  TEXT    CHECK (length(country_code) = 2) REFERENCES countries (code)
);

INSERT INTO customers_new (id, email, created_at, deleted_at, first_name, last_name, country_code)
SELECT id, email, created_at, deleted_at, first_name, last_name, country_code FROM customers;

-- Not a drop for the app: customers_new, holding every row and column, takes the
-- name in the next statement.
-- cutover:ignore EXP001 the table rebuild: customers_new replaces customers with every row and column
DROP TABLE customers;

-- The new table takes the old name; orders' REFERENCES customers (id) resolves to it.
ALTER TABLE customers_new RENAME TO customers;

-- What DROP TABLE took with it: the index and 0005's triggers.
CREATE INDEX customers_email_lower ON customers (lower(email));

CREATE TRIGGER customers_names_not_null_ins BEFORE INSERT ON customers
WHEN new.first_name IS NULL OR new.last_name IS NULL
BEGIN
  SELECT RAISE(ABORT, 'customers.first_name and last_name must not be NULL');
END;

CREATE TRIGGER customers_names_not_null_upd BEFORE UPDATE OF first_name, last_name ON customers
WHEN new.first_name IS NULL OR new.last_name IS NULL
BEGIN
  SELECT RAISE(ABORT, 'customers.first_name and last_name must not be NULL');
END;

PRAGMA foreign_keys = ON;

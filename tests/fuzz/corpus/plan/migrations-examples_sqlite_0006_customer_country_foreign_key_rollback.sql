-- cutover:no-transaction
--
-- The same rebuild back to the table without the foreign key (see expand.sql for
-- why no-transaction, and why writers must be stopped meanwhile), then countries
-- goes.
PRAGMA foreign_keys = OFF;

CREATE TABLE customers_old (
  id            INTEGER PRIMARY KEY,
  email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
  created_at    TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  deleted_at    TEXT,
  first_name    TEXT,
  last_name     TEXT,
  country_code  TEXT    CHECK (length(country_code) = 2)
);

INSERT INTO customers_old (id, email, created_at, deleted_at, first_name, last_name, country_code)
SELECT id, email, created_at, deleted_at, first_name, last_name, country_code FROM customers;

DROP TABLE customers;

ALTER TABLE customers_old RENAME TO customers;

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

DROP TABLE countries;

PRAGMA foreign_keys = ON;

-- Make customers.first_name and last_name NOT NULL (0002 added them nullable, as
-- expand must; every app version since 0002's contract writes both).
--
-- SQLite cannot add NOT NULL to an existing column: ALTER TABLE has no such form,
-- and the only way to change a column's constraints is to rebuild the table (see
-- 0006), which copies every row under the write lock and, for customers, which
-- orders references, needs foreign keys switched off.
-- The engine's safe way is a pair of triggers that refuse NULL in new and updated
-- rows: created instantly, no scan, no rebuild. backfill.sql replaces any NULL left.
-- Together they give the guarantee NOT NULL gives.
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

-- cutover:lock-timeout 2s
--
-- Every app instance uses country_code now.
DROP TRIGGER trg_customers_sync_country_ins;
DROP TRIGGER trg_customers_sync_country_upd;
-- One statement, so no client sees the table without either column. Dropping a
-- column and NULL -> NOT NULL rebuild the table, but online: ALGORITHM=INPLACE,
-- LOCK=NONE lets reads and writes continue (and makes the server refuse rather
-- than copy). NOT NULL in place needs strict SQL mode and fails if a NULL is left,
-- which the backfill made impossible. The CHECK is dropped explicitly: MySQL 8
-- refuses to drop a column a CHECK constraint uses (MariaDB drops it silently).
ALTER TABLE customers
  DROP CONSTRAINT ck_customers_country,
  DROP COLUMN country,
  MODIFY country_code char(2) NOT NULL DEFAULT 'FR',
  ALGORITHM=INPLACE, LOCK=NONE;

-- cutover:lock-timeout 2s
--
-- Make customers.first_name and last_name NOT NULL (0002 added them nullable, as
-- expand must; every app version since 0002's contract writes both).
-- ALTER COLUMN ... SET NOT NULL scans the whole table under ACCESS EXCLUSIVE.
-- Instead: a CHECK constraint NOT VALID now (instant; enforced for new and updated
-- rows only), backfill.sql fixes any NULL left, contract.sql validates it without
-- blocking and then sets NOT NULL, which PostgreSQL 12+ proves from the valid
-- constraint without a scan.
-- One constraint per column, so each proves its column's NOT NULL on its own.
ALTER TABLE customers
  ADD CONSTRAINT customers_first_name_not_null CHECK (first_name IS NOT NULL) NOT VALID,
  ADD CONSTRAINT customers_last_name_not_null CHECK (last_name IS NOT NULL) NOT VALID;

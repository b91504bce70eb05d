-- cutover:lock-timeout 2s
--
-- Once every app instance reads and writes first_name/last_name only: drop the
-- trigger and the old column (DROP COLUMN is metadata only in PostgreSQL).
DROP TRIGGER customers_split_full_name ON customers;
DROP FUNCTION customers_split_full_name();
ALTER TABLE customers DROP COLUMN full_name;

-- cutover:lock-timeout 2s
--
-- Once every app instance reads and writes first_name/last_name only.
-- DROP COLUMN is INSTANT on MySQL 8.0.29+ and MariaDB 10.4+.
DROP TRIGGER trg_customers_split_name_ins;
DROP TRIGGER trg_customers_split_name_upd;
ALTER TABLE customers DROP COLUMN full_name, ALGORITHM=INSTANT;

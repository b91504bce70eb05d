-- Once every app instance reads and writes first_name/last_name only.
-- DROP COLUMN rewrites the table under the write lock: for a large table, run the
-- contract in a quiet period.
DROP TRIGGER customers_split_name_ins;
DROP TRIGGER customers_split_name_upd;
ALTER TABLE customers DROP COLUMN full_name;

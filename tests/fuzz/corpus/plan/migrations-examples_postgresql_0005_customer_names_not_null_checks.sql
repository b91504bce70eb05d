-- 0002 split every name, so no NULL is expected even right after expand; after
-- backfill there can be none.
SELECT id FROM customers WHERE first_name IS NULL OR last_name IS NULL;

-- Every app instance uses country_code now.
-- DROP COLUMN rewrites the table under the write lock: for a large table, run the
-- contract in a quiet period.
DROP TRIGGER customers_sync_country_ins_old;
DROP TRIGGER customers_sync_country_ins_new;
DROP TRIGGER customers_sync_country_upd_old;
DROP TRIGGER customers_sync_country_upd_new;
ALTER TABLE customers DROP COLUMN country;

DROP TRIGGER customers_sync_country_ins_old;
DROP TRIGGER customers_sync_country_ins_new;
DROP TRIGGER customers_sync_country_upd_old;
DROP TRIGGER customers_sync_country_upd_new;
ALTER TABLE customers DROP COLUMN country_code;

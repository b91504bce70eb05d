
-- cutover:lock-timeout 2s
DROP TRIGGER IF EXISTS trg_customers_sync_country_ins;
DROP TRIGGER IF EXISTS trg_customers_sync_country_upd;
ALTER TABLE customers DROP COLUMN country_code, ALGORITHM=INSTANT;

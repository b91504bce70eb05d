	-- cutover:lock-timeout 2s
DROP TRIGGER customers_sync_country ON customers;
DROP FUNCTION customers_sync_country();
ALTER TABLE customers DROP COLUMN country_code;  -- drops its two constraints too

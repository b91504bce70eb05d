-- cutover:lock-timeout 2s
--
-- Every app instance uses country_code now. One transaction, so no client ever sees
-- the table without either column.
--
-- First the scans, under SHARE UPDATE EXCLUSIVE only (reads and writes continue):
-- validating the rule, and the CHECK that proves no NULL is left.
-- Then the catalog changes: ACCESS EXCLUSIVE until COMMIT, but none of them scans.
ALTER TABLE customers VALIDATE CONSTRAINT customers_country_code_check;
ALTER TABLE customers VALIDATE CONSTRAINT customers_country_code_not_null;
-- PostgreSQL 12+ sees the valid CHECK (country_code IS NOT NULL) and skips the scan:
-- SET NOT NULL is a catalog change here.
ALTER TABLE customers ALTER COLUMN country_code SET NOT NULL;
ALTER TABLE customers DROP CONSTRAINT customers_country_code_not_null;
ALTER TABLE customers ALTER COLUMN country_code SET DEFAULT 'FR';
DROP TRIGGER customers_sync_country ON customers;
DROP FUNCTION customers_sync_country();
ALTER TABLE customers DROP COLUMN country;

-- cutover:lock-timeout 2s
--
-- Scans customers under SHARE UPDATE EXCLUSIVE: reads and writes continue.
ALTER TABLE customers VALIDATE CONSTRAINT customers_country_code_fk;

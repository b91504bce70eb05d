-- cutover:lock-timeout 2s
--
-- The scan, under SHARE UPDATE EXCLUSIVE (reads and writes continue):
ALTER TABLE customers VALIDATE CONSTRAINT customers_first_name_not_null;
ALTER TABLE customers VALIDATE CONSTRAINT customers_last_name_not_null;
-- Catalog changes only: the valid CHECKs prove there is no NULL (at DEBUG1 the
-- server says "existing constraints ... are sufficient to prove that it does not
-- contain nulls").
ALTER TABLE customers ALTER COLUMN first_name SET NOT NULL, ALTER COLUMN last_name SET NOT NULL;
ALTER TABLE customers
  DROP CONSTRAINT customers_first_name_not_null,
  DROP CONSTRAINT customers_last_name_not_null;

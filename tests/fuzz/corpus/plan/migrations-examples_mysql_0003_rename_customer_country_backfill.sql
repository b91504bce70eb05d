-- cutover:batch-size 1000
-- cutover:pause 100ms
--
-- Copy country into country_code, one batch of not-yet-copied rows per run
-- (country is NOT NULL, so a copied row never matches again). updated_at is kept:
-- see 0002's backfill.
UPDATE customers SET country_code = country, updated_at = updated_at
 WHERE country_code IS NULL
 ORDER BY id
 LIMIT {{batch_size}};

-- cutover:batch-size 1000
-- cutover:pause 100ms
--
-- Copy country into country_code, one batch of not-yet-copied rows per run
-- (country is NOT NULL, so a copied row never matches again).
UPDATE customers SET country_code = country
 WHERE id IN (SELECT id FROM customers WHERE country_code IS NULL ORDER BY id LIMIT {{batch_size}});

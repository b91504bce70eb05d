-- cutover:batch-size 1000
-- cutover:pause 100ms
--
-- Copy country into country_code, one batch of not-yet-copied rows per run
-- (country is NOT NULL, so every copied row leaves the "IS NULL" set for good).
UPDATE customers SET country_code = country
 WHERE id IN (SELECT id FROM customers WHERE country_code IS NULL ORDER BY id LIMIT {{batch_size}});

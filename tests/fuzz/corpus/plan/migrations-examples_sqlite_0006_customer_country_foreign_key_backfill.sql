-- A code that is not in countries yet (a customer written while expand ran) is
-- added, one batch per run, until none is missing.
INSERT OR IGNORE INTO countries (code)
SELECT DISTINCT c.country_code FROM customers c
 WHERE c.country_code IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM countries k WHERE k.code = c.country_code)
 LIMIT {{batch_size}};

-- A customer inserted between expand's INSERT ... SELECT and its ALTER TABLE may use
-- a code countries does not have yet: add those codes, one batch per run, until
-- none is missing, so VALIDATE in contract.sql cannot fail.
INSERT INTO countries (code)
SELECT DISTINCT c.country_code FROM customers c
 WHERE c.country_code IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM countries k WHERE k.code = c.country_code)
 LIMIT {{batch_size}}
ON CONFLICT (code) DO NOTHING;

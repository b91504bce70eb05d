-- A customer inserted between expand's INSERT ... SELECT and its ALTER TABLE may use
-- a code countries does not have yet (the server never checked those rows): add
-- those codes, one batch per run, until none is missing.
INSERT IGNORE INTO countries (code)
SELECT DISTINCT c.country_code
  FROM customers c LEFT JOIN countries k ON k.code = c.country_code
 WHERE k.code IS NULL
 LIMIT {{batch_size}};

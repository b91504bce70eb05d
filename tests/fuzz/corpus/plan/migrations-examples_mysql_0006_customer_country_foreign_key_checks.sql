-- The validation the server skipped: no customer with a country the countries
-- table does not know (after backfill).
SELECT c.id, c.country_code FROM customers c
  LEFT JOIN countries k ON k.code = c.country_code
 WHERE k.code IS NULL;

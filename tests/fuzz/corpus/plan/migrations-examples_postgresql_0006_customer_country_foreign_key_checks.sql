-- No customer with a country the countries table does not know (after backfill).
SELECT c.id, c.country_code FROM customers c
  LEFT JOIN countries k ON k.code = c.country_code
 WHERE c.country_code IS NOT NULL AND k.code IS NULL;

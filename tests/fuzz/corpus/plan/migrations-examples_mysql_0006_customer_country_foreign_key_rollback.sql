
-- cutover:lock-timeout 2s
-- InnoDB created an index named after the constraint for it; drop both.
ALTER TABLE customers
  DROP FOREIGN KEY fk_customers_country,
  DROP INDEX fk_customers_country,
  ALGORITHM=INPLACE, LOCK=NONE;
DROP TABLE countries;

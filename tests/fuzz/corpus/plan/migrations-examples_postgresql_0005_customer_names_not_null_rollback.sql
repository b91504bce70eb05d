	-- cutover:lock-timeout 2s
ALTER TABLE customers
  DROP CONSTRAINT customers_first_name_not_null,
  DROP CONSTRAINT customers_last_name_not_null;

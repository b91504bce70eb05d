	-- cutover:lock-timeout 2s
ALTER TABLE customers DROP CONSTRAINT customers_country_code_fk;
DROP TABLE countries;

	-- cutover:lock-timeout 2s
DROP TRIGGER customers_split_full_name ON customers;
DROP FUNCTION customers_split_full_name();
ALTER TABLE customers DROP COLUMN first_name, DROP COLUMN last_name;

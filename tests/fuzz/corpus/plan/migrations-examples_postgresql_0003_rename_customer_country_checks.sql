-- Holds after every phase: country_code is either not copied yet or a valid code.
SELECT id, country_code FROM customers
 WHERE country_code IS NOT NULL AND country_code !~ '^[A-Z]{2}$';

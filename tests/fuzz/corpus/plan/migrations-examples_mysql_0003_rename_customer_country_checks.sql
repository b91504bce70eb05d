-- Holds after every phase: country_code is either not copied yet or a two-letter code.
SELECT id, country_code FROM customers
 WHERE country_code IS NOT NULL AND country_code NOT REGEXP '^[A-Z]{2}$';

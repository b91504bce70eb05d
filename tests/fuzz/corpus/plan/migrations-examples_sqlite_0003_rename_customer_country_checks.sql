-- Holds after every phase: country_code is either not copied yet or two letters.
SELECT id, country_code FROM customers
 WHERE country_code IS NOT NULL AND (length(country_code) <> 2 OR country_code <> upper(country_code));

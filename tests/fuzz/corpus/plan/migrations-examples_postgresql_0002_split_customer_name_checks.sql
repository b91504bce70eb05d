-- Holds after every phase: a row is either not split yet (both NULL, before the
-- backfill) or split into both parts, never half.
SELECT id FROM customers WHERE (first_name IS NULL) <> (last_name IS NULL);
-- A split never produces an empty first name.
SELECT id FROM customers WHERE first_name = '';

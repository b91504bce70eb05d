-- cutover:batch-size 1000
-- cutover:pause 100ms
-- cutover:remaining SELECT count(*) FROM customers WHERE first_name IS NULL
--
-- One batch of rows not split yet. Idempotent and resumable: a split row no longer
-- matches "first_name IS NULL", so each run takes the next batch and the last run
-- changes nothing. Same rule as the trigger: first word, then the rest.
UPDATE customers
   SET first_name = split_part(full_name, ' ', 1),
       last_name = CASE WHEN position(' ' IN full_name) > 0
                        THEN substr(full_name, position(' ' IN full_name) + 1)
                        ELSE '' END
 WHERE id IN (SELECT id FROM customers WHERE first_name IS NULL ORDER BY id LIMIT {{batch_size}});

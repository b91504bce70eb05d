-- cutover:batch-size 1000
-- cutover:pause 100ms
-- cutover:remaining SELECT count(*) FROM customers WHERE first_name IS NULL
--
-- One batch of rows not split yet. Idempotent and resumable: a split row no longer
-- matches "first_name IS NULL", so each run takes the next batch and the last run
-- changes nothing. MySQL cannot LIMIT a subquery on the table it updates, so the
-- batch is UPDATE ... ORDER BY id LIMIT.
-- updated_at = updated_at: the column has ON UPDATE CURRENT_TIMESTAMP, and a
-- backfill is not a change the customer made.
UPDATE customers
   SET first_name = SUBSTRING_INDEX(full_name, ' ', 1),
       last_name = IF(LOCATE(' ', full_name) > 0, SUBSTRING(full_name, LOCATE(' ', full_name) + 1), ''),
       updated_at = updated_at
 WHERE first_name IS NULL
 ORDER BY id
 LIMIT {{batch_size}};

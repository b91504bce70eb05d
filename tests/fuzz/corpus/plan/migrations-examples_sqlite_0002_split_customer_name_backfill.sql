-- cutover:batch-size 1000
-- cutover:pause 100ms
-- cutover:remaining SELECT count(*) FROM customers WHERE first_name IS NULL
--
-- One batch of rows not split yet. Idempotent and resumable: a split row no longer
-- matches "first_name IS NULL", so each run takes the next batch and the last run
-- changes nothing. Each batch is one short write transaction, so the app's writers
-- get SQLITE_BUSY for a moment at most, not for the whole table.
UPDATE customers
   SET first_name = CASE WHEN instr(full_name, ' ') > 0
                         THEN substr(full_name, 1, instr(full_name, ' ') - 1)
                         ELSE full_name END,
       last_name = CASE WHEN instr(full_name, ' ') > 0
                        THEN substr(full_name, instr(full_name, ' ') + 1)
                        ELSE '' END
 WHERE id IN (SELECT id FROM customers WHERE first_name IS NULL ORDER BY id LIMIT {{batch_size}});

-- cutover:batch-size 1000
--
-- Any NULL left (a row written by hand, say) becomes '' in batches, so VALIDATE
-- cannot fail. Idempotent: fixed rows never match again.
UPDATE customers
   SET first_name = coalesce(first_name, ''), last_name = coalesce(last_name, '')
 WHERE id IN (SELECT id FROM customers WHERE first_name IS NULL OR last_name IS NULL
              ORDER BY id LIMIT {{batch_size}});

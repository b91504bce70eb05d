-- cutover:batch-size 1000
--
-- Any NULL left (a row written by hand, say) becomes '' in batches, so the
-- contract's MODIFY cannot fail. Idempotent: fixed rows never match again.
UPDATE customers
   SET first_name = COALESCE(first_name, ''), last_name = COALESCE(last_name, ''),
       updated_at = updated_at
 WHERE first_name IS NULL OR last_name IS NULL
 ORDER BY id
 LIMIT {{batch_size}};

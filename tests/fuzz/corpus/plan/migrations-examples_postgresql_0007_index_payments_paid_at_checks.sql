-- The index exists and is valid (a failed CONCURRENTLY build leaves it INVALID).
SELECT 'payments_paid_at is missing or INVALID' AS problem
 WHERE NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    WHERE c.relname = 'payments_paid_at' AND i.indisvalid);

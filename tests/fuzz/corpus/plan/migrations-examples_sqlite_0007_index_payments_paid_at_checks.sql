-- The index exists.
SELECT 'payments_paid_at is missing' AS problem
 WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'payments_paid_at');

-- The index exists.
SELECT 'ix_payments_paid_at is missing' AS problem FROM DUAL
 WHERE NOT EXISTS (SELECT 1 FROM information_schema.statistics
                    WHERE table_schema = DATABASE() AND table_name = 'payments'
                      AND index_name = 'ix_payments_paid_at');


-- cutover:lock-timeout 2s
ALTER TABLE payments DROP INDEX ix_payments_paid_at, ALGORITHM=INPLACE, LOCK=NONE;

	-- cutover:no-transaction
-- cutover:lock-timeout 2s
--
-- CONCURRENTLY: a plain DROP INDEX takes ACCESS EXCLUSIVE on payments.
DROP INDEX CONCURRENTLY IF EXISTS payments_paid_at;

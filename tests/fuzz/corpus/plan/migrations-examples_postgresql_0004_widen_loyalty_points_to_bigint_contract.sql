-- cutover:lock-timeout 2s
--
-- The swap, in one transaction: clients see the integer column or the bigint one,
-- never neither.
-- The scan first, under SHARE UPDATE EXCLUSIVE (reads and writes continue):
ALTER TABLE orders VALIDATE CONSTRAINT orders_loyalty_points_big_not_null;
-- Then catalog changes only (ACCESS EXCLUSIVE until COMMIT, nothing is rewritten).
-- SET NOT NULL is proven by the valid CHECK, so it does not scan either.
ALTER TABLE orders ALTER COLUMN loyalty_points_big SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_loyalty_points_big_not_null;
DROP TRIGGER orders_sync_loyalty_points ON orders;
DROP FUNCTION orders_sync_loyalty_points();
ALTER TABLE orders DROP COLUMN loyalty_points;
ALTER TABLE orders RENAME COLUMN loyalty_points_big TO loyalty_points;
ALTER TABLE orders ALTER COLUMN loyalty_points SET DEFAULT 0;
COMMENT ON COLUMN orders.loyalty_points IS 'loyalty points the order earned';

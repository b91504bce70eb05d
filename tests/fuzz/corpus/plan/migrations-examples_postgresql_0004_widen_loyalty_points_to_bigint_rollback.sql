	-- cutover:lock-timeout 2s
DROP TRIGGER orders_sync_loyalty_points ON orders;
DROP FUNCTION orders_sync_loyalty_points();
ALTER TABLE orders DROP COLUMN loyalty_points_big;  -- and its CHECK constraint

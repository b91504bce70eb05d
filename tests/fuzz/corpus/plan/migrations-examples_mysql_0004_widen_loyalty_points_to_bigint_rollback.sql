
-- cutover:lock-timeout 2s
DROP TRIGGER IF EXISTS trg_orders_sync_loyalty_points_ins;
DROP TRIGGER IF EXISTS trg_orders_sync_loyalty_points_upd;
ALTER TABLE orders DROP COLUMN loyalty_points_big, ALGORITHM=INSTANT;

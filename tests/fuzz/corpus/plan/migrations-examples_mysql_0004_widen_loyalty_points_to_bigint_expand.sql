-- cutover:lock-timeout 2s
--
-- Widen orders.loyalty_points from int to bigint.
-- MODIFY loyalty_points bigint is a type change: InnoDB only does it with
-- ALGORITHM=COPY (MariaDB 10.11 answers "Cannot change column type" to INSTANT,
-- NOCOPY and INPLACE; MySQL 8 refuses INPLACE likewise), which blocks every write
-- for the whole copy and doubles the disk use. So:
--   expand:   a new bigint column (INSTANT) kept equal to the old one by triggers;
--   backfill: copy the existing rows in batches;
--   contract: swap the columns in one online ALTER.
-- The app keeps using the name loyalty_points throughout.
ALTER TABLE orders ADD COLUMN loyalty_points_big bigint NULL, ALGORITHM=INSTANT;

DELIMITER //
CREATE TRIGGER trg_orders_sync_loyalty_points_ins BEFORE INSERT ON orders
FOR EACH ROW
BEGIN
  SET NEW.loyalty_points_big = NEW.loyalty_points;
END//

CREATE TRIGGER trg_orders_sync_loyalty_points_upd BEFORE UPDATE ON orders
FOR EACH ROW
BEGIN
  SET NEW.loyalty_points_big = NEW.loyalty_points;
END//
DELIMITER ;

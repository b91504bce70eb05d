-- cutover:lock-timeout 2s
--
-- The swap: drop the int column and give the bigint one its name, NOT NULL and
-- default, in one ALTER. A rebuild, but online (ALGORITHM=INPLACE, LOCK=NONE:
-- reads and writes continue, and the triggers keep copying until the ALTER
-- commits; the server refuses rather than copy).
ALTER TABLE orders
  DROP COLUMN loyalty_points,
  CHANGE COLUMN loyalty_points_big loyalty_points bigint NOT NULL DEFAULT 0
    COMMENT 'loyalty points the order earned',
  ALGORITHM=INPLACE, LOCK=NONE;
-- MySQL cannot drop triggers in the same atomic step. Dropping them first would let
-- a write to the old column slip through uncopied and be lost silently; dropping
-- them right after means a write in the instant between the two statements fails
-- loudly ("Unknown column 'loyalty_points_big'") and the app retries it.
DROP TRIGGER trg_orders_sync_loyalty_points_ins;
DROP TRIGGER trg_orders_sync_loyalty_points_upd;

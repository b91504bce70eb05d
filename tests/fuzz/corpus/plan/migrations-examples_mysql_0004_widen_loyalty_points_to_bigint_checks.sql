-- Holds after every phase. Only loyalty_points is named: loyalty_points_big exists
-- only until contract.
SELECT id FROM orders WHERE loyalty_points IS NULL OR loyalty_points < 0;

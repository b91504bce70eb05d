-- What the previous app version runs.
SELECT id, loyalty_points FROM orders WHERE customer_id = 1;
UPDATE orders SET loyalty_points = loyalty_points + 10 WHERE id = 100;

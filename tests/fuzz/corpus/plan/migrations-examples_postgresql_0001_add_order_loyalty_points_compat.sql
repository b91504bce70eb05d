-- What the previous app version runs: it does not know loyalty_points.
SELECT id, customer_id, status, placed_at, total_cents FROM orders WHERE customer_id = 1 ORDER BY placed_at DESC;
INSERT INTO orders (customer_id) VALUES (1);

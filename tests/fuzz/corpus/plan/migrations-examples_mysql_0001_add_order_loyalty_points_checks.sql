-- No order may have negative points (the default filled every existing row with 0).
SELECT id, loyalty_points FROM orders WHERE loyalty_points < 0;

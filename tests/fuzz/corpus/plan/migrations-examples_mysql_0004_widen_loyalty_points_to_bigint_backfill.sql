-- cutover:batch-size 1000
-- cutover:pause 100ms
--
-- One batch of rows not copied yet; loyalty_points is NOT NULL, so a copied row
-- never matches again and the last run changes nothing.
UPDATE orders SET loyalty_points_big = loyalty_points
 WHERE loyalty_points_big IS NULL
 ORDER BY id
 LIMIT {{batch_size}};

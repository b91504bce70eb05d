-- Every stored value is an integer: INTEGER affinity keeps 64-bit values exactly.
SELECT id, loyalty_points, typeof(loyalty_points) FROM orders
 WHERE typeof(loyalty_points) <> 'integer';

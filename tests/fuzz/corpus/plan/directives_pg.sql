-- cutover:batch-size 500
-- cutover:pause 10ms
-- cutover:remaining SELECT count(*) FROM t WHERE x IS NULL
-- cutover:lock-timeout 2s
UPDATE t SET x = 1 WHERE id IN (SELECT id FROM t WHERE x IS NULL LIMIT {{batch_size}});

-- migrate:up
ALTER TABLE accounts ADD COLUMN plan VARCHAR(20);

-- migrate:down
ALTER TABLE accounts DROP COLUMN plan;

-- One statement: golang-migrate sends it alone, outside a transaction.
ALTER TABLE accounts ADD COLUMN plan VARCHAR(20);

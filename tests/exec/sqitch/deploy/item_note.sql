-- Deploy cutover_exec_test:item_note
BEGIN;
ALTER TABLE items ADD COLUMN note VARCHAR(40);
COMMIT;

-- Revert cutover_exec_test:item_note
BEGIN;
ALTER TABLE items DROP COLUMN note;
COMMIT;

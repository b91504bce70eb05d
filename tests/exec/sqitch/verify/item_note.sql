-- Verify cutover_exec_test:item_note
SELECT note FROM items WHERE 0 = 1;

-- What the previous app version runs: full_name only.
SELECT id, email, full_name FROM customers WHERE id = 1;
INSERT INTO customers (email, full_name) VALUES ('compat-0002@example.com', 'Compat Check');
UPDATE customers SET full_name = 'Compat Checked' WHERE email = 'compat-0002@example.com';

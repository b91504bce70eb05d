-- What the previous app version (the one after 0002) runs: it only knows "country".
SELECT id, email, country FROM customers WHERE country = 'GB' ORDER BY id;
INSERT INTO customers (email, first_name, last_name, country)
  VALUES ('compat-0003@example.com', 'Compat', 'Check', 'DE');
UPDATE customers SET country = 'AT' WHERE email = 'compat-0003@example.com';

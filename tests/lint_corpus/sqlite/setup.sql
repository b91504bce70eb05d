-- The schema every safe SQLite case runs against (lint_corpus_test.cc,
-- SafeCasesRunOnTheEngine): the tables the cases name, with a few rows.
CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT NOT NULL, first_name TEXT, last_name TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, total REAL NOT NULL DEFAULT 0);
INSERT INTO customers (full_name, email) VALUES ('Ada Lovelace', 'ada@example.com'), ('Alan Turing', 'alan@example.com');
INSERT INTO orders (customer_id, total) VALUES (1, 10), (2, 20);

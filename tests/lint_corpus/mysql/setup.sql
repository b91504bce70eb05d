-- The schema every safe MySQL/MariaDB case runs against (lint_corpus_test.cc,
-- SafeCasesRunOnTheEngine): the tables the cases name, with a few rows.
CREATE TABLE customers (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  full_name VARCHAR(200) NOT NULL,
  email VARCHAR(200) NOT NULL,
  first_name VARCHAR(100) NULL,
  last_name VARCHAR(100) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  quantity INT NOT NULL DEFAULT 1,
  status ENUM('new', 'paid', 'shipped') NOT NULL DEFAULT 'new',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY orders_c_idx (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE order_items (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  quantity INT NOT NULL
) ENGINE=InnoDB;
CREATE TABLE sessions (id BIGINT NOT NULL PRIMARY KEY, expires_at DATETIME NOT NULL) ENGINE=InnoDB;
INSERT INTO customers (full_name, email) VALUES ('Ada Lovelace', 'ada@example.com'), ('Alan Turing', 'alan@example.com');
INSERT INTO orders (customer_id, total) VALUES (1, 10), (2, 20);

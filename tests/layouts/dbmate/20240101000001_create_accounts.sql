-- migrate:up
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);

-- migrate:down
DROP TABLE accounts;

-- +goose Up
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);

-- +goose Down
DROP TABLE accounts;

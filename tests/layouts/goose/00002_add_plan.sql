-- +goose Up
-- +goose StatementBegin
ALTER TABLE accounts
  ADD COLUMN plan VARCHAR(20);
-- +goose StatementEnd

-- +goose Down
ALTER TABLE accounts DROP COLUMN plan;

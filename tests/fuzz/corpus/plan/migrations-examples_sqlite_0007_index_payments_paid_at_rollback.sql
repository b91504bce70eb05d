DROP INDEX payments_paid_at;

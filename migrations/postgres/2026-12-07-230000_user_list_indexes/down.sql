-- pg_trgm itself stays: something else may use it.
DROP INDEX IF EXISTS users_email_trgm_idx;
DROP INDEX users_created_at_id_idx;

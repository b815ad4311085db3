DROP INDEX deleted_users_deleted_at_idx;
DROP INDEX users_tokens_valid_after_idx;
ALTER TABLE sessions DROP COLUMN revoked_reason;

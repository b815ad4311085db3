-- The revocation feed (API.md §18) reads revocations from here: why each
-- session ended, and the users whose "valid after" time moved, by time.
ALTER TABLE sessions ADD COLUMN revoked_reason TEXT;
CREATE INDEX users_tokens_valid_after_idx ON users (tokens_valid_after);
CREATE INDEX deleted_users_deleted_at_idx ON deleted_users (deleted_at);

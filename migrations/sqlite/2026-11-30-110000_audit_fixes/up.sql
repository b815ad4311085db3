-- How many registrations set this unverified account's password. More than
-- one means someone else may know the password: verifying clears it.
ALTER TABLE users ADD COLUMN registrations INTEGER NOT NULL DEFAULT 1;

-- Deleted accounts, kept for as long as their tokens could live, so a
-- restart (or an emptied Redis) still refuses them.
CREATE TABLE deleted_users (
    user_id TEXT PRIMARY KEY NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);
CREATE INDEX deleted_users_deleted_at ON deleted_users (deleted_at);

-- Passwordless sign-in by email (API.md §15): one row per start. The link's
-- token is kept as its SHA-256, the 6-digit code as a keyed hash (HMAC
-- under a key derived from the signing key), with the count of wrong
-- tries, so a restart gives a guesser nothing back. `user_id` is null for
-- an address with no account (the mail signs it up). A row born used is
-- the inert one a start writes when nothing may be mailed.
CREATE TABLE email_logins (
    token_hash TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_logins_email_idx ON email_logins (email, created_at);
CREATE INDEX email_logins_user_idx ON email_logins (user_id);

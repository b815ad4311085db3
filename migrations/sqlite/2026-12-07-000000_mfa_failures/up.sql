-- Second-factor failures (TOTP, recovery code, passkey) per account over a
-- rolling 24 hours (API.md §14, AUTH_MFA_MAX_FAILURES_PER_DAY). Kept in the
-- database, not the store, so a restart or a flushed Redis does not give
-- an attacker a fresh allowance.
CREATE TABLE mfa_failures (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX mfa_failures_user_idx ON mfa_failures (user_id, failed_at);

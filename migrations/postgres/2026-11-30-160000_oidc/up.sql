-- Social login (API.md §11): a user's identities at OpenID Providers, keyed
-- on the provider's issuer and subject, never on the email.
CREATE TABLE user_identities (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP,
    UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user_id_idx ON user_identities (user_id);

-- How a pending second step's first step was proved (RFC 8176 amr values,
-- comma-separated): 'pwd' for a password, 'fed' for a provider login.
ALTER TABLE mfa_challenges ADD COLUMN first_amr TEXT NOT NULL DEFAULT 'pwd';

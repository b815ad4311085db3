-- Multi-factor authentication (API.md §9).

-- What a session proved: its assurance level, how (RFC 8176 amr values,
-- comma-separated), and when it last proved a password or factor.
ALTER TABLE sessions ADD COLUMN aal TEXT NOT NULL DEFAULT 'aal1';
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN auth_time TIMESTAMP;

-- Second factors. A TOTP secret is stored encrypted (AES-256-GCM, the key
-- in AUTH_MFA_KEY_FILE); last_used_step is the last RFC 6238 time step
-- accepted, so a code is accepted once.
CREATE TABLE mfa_factors (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    name TEXT,
    secret TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_used_step INTEGER,
    last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mfa_factors_user_id_idx ON mfa_factors (user_id);

-- Recovery codes, as SHA-256 hashes; each is spent once.
CREATE TABLE mfa_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

-- The second step of a password login: the mfa_token (as a SHA-256 hash),
-- bound to the user and to what the password login read.
CREATE TABLE mfa_challenges (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_changed_at TIMESTAMP NOT NULL,
    tokens_valid_after TIMESTAMP,
    ip TEXT,
    user_agent TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id);

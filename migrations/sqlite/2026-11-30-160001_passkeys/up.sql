-- Passkeys (API.md §9): a WebAuthn credential is an mfa_factors row of
-- kind 'passkey' whose secret column holds the webauthn-rs credential
-- (public key, counter, backup flags; no secret). Its credential id
-- (base64url) is unique across all users and finds the factor of a
-- passwordless login.
ALTER TABLE mfa_factors ADD COLUMN credential_id TEXT;
CREATE UNIQUE INDEX mfa_factors_credential_id_idx ON mfa_factors (credential_id);

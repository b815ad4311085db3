DROP INDEX mfa_factors_credential_id_idx;
ALTER TABLE mfa_factors DROP COLUMN credential_id;

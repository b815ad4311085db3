ALTER TABLE mfa_challenges DROP COLUMN first_amr;
DROP TABLE user_identities;

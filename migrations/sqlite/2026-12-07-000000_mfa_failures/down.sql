DROP TABLE mfa_failures;

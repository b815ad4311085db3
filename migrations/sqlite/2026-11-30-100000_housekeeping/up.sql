-- Housekeeping: a lease so that one instance at a time purges old rows,
-- and the indexes its batched deletes (and the revocation restore) use.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
INSERT INTO job_leases (name, holder, expires_at)
    VALUES ('housekeeping', '', '1970-01-01 00:00:00');

CREATE INDEX mail_outbox_sent_idx ON mail_outbox (status, sent_at);
CREATE INDEX one_time_tokens_expires_at_idx ON one_time_tokens (expires_at);
CREATE INDEX one_time_tokens_used_at_idx ON one_time_tokens (used_at);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at);

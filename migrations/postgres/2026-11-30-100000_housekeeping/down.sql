DROP INDEX sessions_revoked_at_idx;
DROP INDEX sessions_expires_at_idx;
DROP INDEX one_time_tokens_used_at_idx;
DROP INDEX one_time_tokens_expires_at_idx;
DROP INDEX mail_outbox_sent_idx;
DROP TABLE job_leases;

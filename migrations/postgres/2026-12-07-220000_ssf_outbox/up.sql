-- Shared Signals pushes (API.md §18): one row per Security Event Token and
-- receiver (AUTH_SSF_RECEIVERS), written in the transaction of the audit
-- event that causes it, claimed and retried like the webhook outbox (same
-- columns, same claim). `id` is the SET's `jti`, the same on every retry;
-- `payload` holds its claims, signed at each attempt.
CREATE TABLE ssf_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    receiver TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX ssf_outbox_due_idx ON ssf_outbox (status, next_attempt_at);

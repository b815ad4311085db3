-- Webhook deliveries (API.md §12): one row per audit event to send, written
-- in the transaction of the event, claimed and retried like the mail outbox
-- (same columns, same claim). `id` is the `webhook-id` header: the event's
-- id, the same on every retry.
CREATE TABLE webhook_outbox (
    id TEXT PRIMARY KEY NOT NULL,
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
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (status, next_attempt_at);

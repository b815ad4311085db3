-- The audit log (API.md §12): one row per security event, written in the
-- transaction of the change it records. Ids are UUIDv7 text, so ordering by
-- id is ordering by time, and a page cursor (the last id) stays stable while
-- events are inserted. No foreign keys: events of deleted users stay.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    type TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    user_id TEXT,
    session_id TEXT,
    ip TEXT,
    user_agent TEXT,
    data TEXT NOT NULL
);
CREATE INDEX audit_events_user_id_idx ON audit_events (user_id, id);
CREATE INDEX audit_events_actor_id_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_type_idx ON audit_events (type, id);

-- Email change (API.md §13): a one-time token can carry an address — the
-- pending new one (confirmation) or the old one (revert).
ALTER TABLE one_time_tokens ADD COLUMN email TEXT;

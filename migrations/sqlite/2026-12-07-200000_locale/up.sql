-- The user's language for mail (API.md §17), a BCP 47 tag; NULL: the
-- server's AUTH_DEFAULT_LOCALE.
ALTER TABLE users ADD COLUMN locale TEXT;
-- The language a queued mail was rendered in (its Content-Language).
ALTER TABLE mail_outbox ADD COLUMN locale TEXT NOT NULL DEFAULT '';
-- The language a passwordless sign-up asked for: the new account's.
ALTER TABLE email_logins ADD COLUMN locale TEXT;

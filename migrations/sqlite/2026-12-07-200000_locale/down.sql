ALTER TABLE email_logins DROP COLUMN locale;
ALTER TABLE mail_outbox DROP COLUMN locale;
ALTER TABLE users DROP COLUMN locale;

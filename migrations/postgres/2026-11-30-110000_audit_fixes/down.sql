DROP TABLE deleted_users;
ALTER TABLE users DROP COLUMN registrations;

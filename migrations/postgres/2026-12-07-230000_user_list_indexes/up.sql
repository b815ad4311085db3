-- The admin user list at a million users (bench/scale.sh, issue #35).
-- Its order, newest first, from an index instead of a sort of every user.
CREATE INDEX users_created_at_id_idx ON users (created_at, id);
-- Its email filter is a substring match (`LIKE '%part%'`): a trigram index
-- (pg_trgm, a contrib extension shipped with PostgreSQL and offered by the
-- managed services) answers it without reading every row. Where the
-- extension cannot be created (not installed, or no right to), the filter
-- still works, by a scan, and the migration goes on.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): the admin email search scans the users table', SQLERRM;
END
$$;

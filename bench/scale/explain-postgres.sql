-- EXPLAIN ANALYZE of the admin user list's queries (as diesel writes them,
-- src/db/users.rs `list`) on the scale database:
--   psql -d scale_bench -f bench/scale/explain-postgres.sql
\set ON_ERROR_STOP on
\timing on
\echo '--- first page, and the total'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM users ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*) FROM users;
\echo '--- page 10,000'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM users ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 499950;
\echo '--- email contains a rare part'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM users WHERE email LIKE '%dana.koenig.491969%' ESCAPE '\' ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*) FROM users WHERE email LIKE '%dana.koenig.491969%' ESCAPE '\';
\echo '--- email contains a common part'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM users WHERE email LIKE '%schmidt%' ESCAPE '\' ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT count(*) FROM users WHERE email LIKE '%schmidt%' ESCAPE '\';
\echo '--- role filter'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM users WHERE id IN (SELECT user_id FROM user_roles WHERE role_name = 'editor') ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 0;

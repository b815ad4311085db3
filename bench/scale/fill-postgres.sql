-- Fills an authd database (schema made by authd's own migrations) with
-- generated users, sessions and audit events, in SQL (bench/scale.sh).
--
--   psql -v users=1000000 -v sessions=5000000 -v events=10000000 \
--        -v hash='<bcrypt hash>' -f bench/scale/fill-postgres.sql
--
-- The shapes are those a deployment reaches in steady state, with
-- housekeeping running at its defaults: users created over a year;
-- sessions and audit events within their retention (30 days after a
-- session is revoked or expires, 90 days of audit), plus one hour more, so a
-- housekeeping pass has one hour's worth of rows to delete.
--
-- User n (1..users) has id md5('user' || n) as a UUID and email
-- first.last.n@domain; every user has the same password hash (:hash).
\set ON_ERROR_STOP on
SET session_replication_role = replica; -- no foreign-key triggers while filling
SET maintenance_work_mem = '512MB';
SET synchronous_commit = off;

-- Secondary indexes are dropped during the fill and rebuilt after (faster
-- than updating them row by row); their definitions are kept here.
CREATE TEMP TABLE fill_indexes AS
    SELECT indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public'
      AND tablename IN ('users', 'sessions', 'audit_events', 'user_roles')
      AND indexname NOT LIKE '%_pkey';
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT indexname FROM fill_indexes LOOP
        EXECUTE format('DROP INDEX %I', r.indexname);
    END LOOP;
END $$;

CREATE TEMP TABLE fill_names (kind text, pos int, name text);
INSERT INTO fill_names
    SELECT 'first', ordinality - 1, n FROM unnest(ARRAY['anna','ben','chloe','david',
        'emma','felix','grace','hugo','ines','jonas','karin','liam','maria','noah',
        'olga','paul','quinn','rosa','sven','tara','uwe','vera','will','xenia',
        'yusuf','zoe','ahmed','bea','carlos','dana']) WITH ORDINALITY AS t(n)
    UNION ALL
    SELECT 'last', ordinality - 1, n FROM unnest(ARRAY['smith','mueller','garcia',
        'rossi','dubois','jensen','novak','kowalski','silva','tanaka','kim','nguyen',
        'oconnor','schmidt','martin','bernard','fischer','weber','meyer','wagner',
        'becker','hoffmann','schulz','koch','richter','klein','wolf','neumann',
        'schwarz','braun','zimmermann','krueger','hartmann','lange','werner',
        'lehmann','koehler','maier','koenig','walter']) WITH ORDINALITY AS t(n)
    UNION ALL
    SELECT 'domain', ordinality - 1, n FROM unnest(ARRAY['gmail.com','outlook.com',
        'yahoo.com','web.de','gmx.de','icloud.com','proton.me','example.org',
        'acme-corp.com','uni-bonn.de','orange.fr','libero.it']) WITH ORDINALITY AS t(n);

\echo users
INSERT INTO users (id, email, password_hash, display_name, email_verified, disabled,
                   created_at, updated_at, last_login_at, password_changed_at,
                   tokens_valid_after, registrations, locale)
SELECT md5('user' || n)::uuid::text,
       f.name || '.' || l.name || '.' || n || '@' || d.name,
       :'hash',
       CASE WHEN n % 3 = 0 THEN NULL ELSE initcap(f.name) || ' ' || initcap(l.name) END,
       n % 10 <> 7,                            -- 10 % never verified their email
       n % 50 = 13,                            -- 2 % disabled
       c.at, c.at + interval '1 day' * (n % 30),
       CASE WHEN n % 10 IN (2, 5, 7) THEN NULL
            ELSE now()::timestamp - interval '1 second' * ((n::bigint * 7919) % (86400 * 30)) END,
       c.at,
       CASE WHEN n % 200 = 3 THEN c.at + interval '1 hour' END, -- logged out everywhere once
       1,
       (ARRAY[NULL, NULL, NULL, 'de', 'fr', 'es'])[1 + n % 6]
FROM generate_series(1, :users) AS n
CROSS JOIN LATERAL (SELECT now()::timestamp - interval '1 second'
                           * (31536000 - (n::bigint * 31536000 / :users)) AS at) c
JOIN fill_names f ON f.kind = 'first' AND f.pos = n % 30
JOIN fill_names l ON l.kind = 'last' AND l.pos = (n / 30) % 40
JOIN fill_names d ON d.kind = 'domain' AND d.pos = (n * 31) % 12;

\echo roles
-- A few staff: 20 admins, 200 editors, 2,000 viewers.
INSERT INTO user_roles (user_id, role_name)
SELECT md5('user' || n)::uuid::text,
       CASE WHEN n <= 20 THEN 'admin' WHEN n <= 220 THEN 'editor' ELSE 'viewer' END
FROM generate_series(1, LEAST(2220, :users)) AS n;

\echo sessions
-- Per session s: its user (skewed: a few users hold many sessions), and
-- one of three fates: 20 % live, 30 % expired, 50 % revoked, their end
-- (expiry or revocation) within the last 30 days and one hour.
INSERT INTO sessions (id, user_id, refresh_jti, access_jti, previous_refresh_jti, rotated_at,
                      created_at, last_used_at, expires_at, revoked_at, revoked_reason,
                      ip, user_agent, aal, amr, auth_time)
SELECT md5('session' || s)::uuid::text,
       md5('user' || u)::uuid::text,
       md5('jti' || s)::uuid::text,
       md5('access' || s)::uuid::text,
       CASE WHEN s % 3 = 0 THEN NULL ELSE md5('prev' || s)::uuid::text END,
       CASE WHEN s % 3 = 0 THEN NULL ELSE t.last_used END,
       t.created, t.last_used, t.expires,
       t.revoked,
       CASE WHEN t.revoked IS NULL THEN NULL
            ELSE (ARRAY['logout','logout','logout','logout_all','password_changed',
                        'password_reset','admin','session_limit','reuse'])[1 + s % 9] END,
       '10.' || (s % 250) || '.' || ((s / 250) % 250) || '.' || (s % 200 + 1),
       (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
              'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
              'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15',
              'okhttp/4.12.0', 'MyApp/3.2 (Android 15)'])[1 + s % 5],
       CASE WHEN s % 40 = 0 THEN 'aal2' ELSE 'aal1' END,
       CASE WHEN s % 40 = 0 THEN 'pwd,otp,mfa' WHEN s % 17 = 0 THEN 'email' ELSE 'pwd' END,
       t.created
FROM generate_series(1, :sessions) AS s
-- rank r (0 = the busiest), spread over the users by a permutation
CROSS JOIN LATERAL (SELECT 1 + (floor(:users * power(((s::bigint * 2654435761) % 1000003) / 1000003.0, 1.5))::bigint * 7919) % :users AS u) k
CROSS JOIN LATERAL (
    SELECT e.fate,
           e.ended - CASE e.fate WHEN 'revoked' THEN interval '1 second' * ((s * 7) % 864000)
                                 ELSE interval '30 days' END AS created,
           CASE e.fate WHEN 'revoked' THEN e.ended - interval '1 second' * ((s * 7) % 864000)
                                           + interval '30 days'
                       ELSE e.ended END AS expires,
           CASE e.fate WHEN 'revoked' THEN e.ended END AS revoked,
           e.ended - CASE e.fate WHEN 'revoked' THEN interval '1 second' * ((s * 7) % 864000)
                                 ELSE interval '30 days' END
                   + interval '1 second' * (s % 3600) AS last_used
    FROM (SELECT CASE WHEN s % 10 < 2 THEN 'live' WHEN s % 10 < 5 THEN 'expired' ELSE 'revoked' END AS fate) f
    CROSS JOIN LATERAL (SELECT CASE f.fate
        -- live: expires within the next 30 days
        WHEN 'live' THEN now()::timestamp + interval '1 second' * ((s::bigint * 40503) % 2592000)
        -- ended: within [now - 30 days - 1 hour, now - 20 minutes]
        ELSE now()::timestamp - interval '20 minutes'
             - interval '1 second' * ((s::bigint * 40503) % (2592000 + 3600 - 1200)) END AS ended,
        f.fate) e
) t;

\echo audit_events
-- 10 M events over 90 days and one hour; ids are UUIDv7 of their time.
INSERT INTO audit_events (id, type, at, actor_id, user_id, session_id, ip, user_agent, data)
SELECT lpad(to_hex(ms >> 16), 8, '0') || '-' || lpad(to_hex(ms & 65535), 4, '0')
           || '-7' || lpad(to_hex(e % 4096), 3, '0')
           || '-8' || lpad(to_hex((e / 4096) % 4096), 3, '0')
           || '-' || lpad(to_hex(e), 12, '0'),
       x.kind, x.at,
       CASE WHEN x.kind IN ('login.failed', 'login.locked') THEN NULL
            WHEN x.kind IN ('user.disabled', 'user.enabled', 'user.roles_changed') THEN md5('user' || (1 + e % 20))::uuid::text
            ELSE md5('user' || u)::uuid::text END,
       md5('user' || u)::uuid::text,
       CASE WHEN x.kind IN ('login.succeeded', 'session.revoked', 'refresh.reuse_detected')
            THEN md5('session' || (1 + e % :sessions))::uuid::text END,
       '10.' || (e % 250) || '.' || ((e / 250) % 250) || '.' || (e % 200 + 1),
       'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
       CASE x.kind
            WHEN 'login.succeeded' THEN '{"method":"password"}'
            WHEN 'login.failed' THEN '{"reason":"invalid_credentials"}'
            WHEN 'session.revoked' THEN '{"reason":"logout"}'
            WHEN 'user.roles_changed' THEN '{"roles":["viewer"]}'
            ELSE '{}' END
FROM generate_series(1, :events) AS e
CROSS JOIN LATERAL (SELECT 1 + (floor(:users * power(((e::bigint * 2654435761) % 1000003) / 1000003.0, 1.5))::bigint * 7919) % :users AS u) k
CROSS JOIN LATERAL (
    SELECT now()::timestamp - interval '1 millisecond' * ((e::bigint * 777767) % (7779600000)) AS at,
           (ARRAY['login.succeeded','login.succeeded','login.succeeded','login.succeeded',
                  'login.succeeded','login.succeeded','login.succeeded','login.succeeded',
                  'session.revoked','session.revoked','session.revoked','login.failed',
                  'login.failed','password.changed','user.registered','user.email_verified',
                  'password.reset','mfa.enrolled','login.locked','email.changed',
                  'refresh.reuse_detected','user.roles_changed','user.disabled','mfa.removed',
                  'identity.linked'])[1 + (e * 13) % 25] AS kind
) x
CROSS JOIN LATERAL (SELECT (extract(epoch FROM x.at) * 1000)::bigint AS ms) m;

\echo indexes
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT indexdef FROM fill_indexes LOOP
        EXECUTE r.indexdef;
    END LOOP;
END $$;
SET session_replication_role = DEFAULT;
\echo analyze
VACUUM ANALYZE users;
VACUUM ANALYZE user_roles;
VACUUM ANALYZE sessions;
VACUUM ANALYZE audit_events;

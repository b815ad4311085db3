-- The SQLite twin of fill-postgres.sql (same shapes; see there). Expects a
-- table fill_params(users, sessions, events, hash), which bench/scale.sh
-- creates first in the same sqlite3 session.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -200000;

CREATE TEMP TABLE fill_names (kind TEXT, pos INTEGER, name TEXT);
INSERT INTO fill_names
    SELECT 'first', key, value FROM json_each('["anna","ben","chloe","david","emma","felix","grace","hugo","ines","jonas","karin","liam","maria","noah","olga","paul","quinn","rosa","sven","tara","uwe","vera","will","xenia","yusuf","zoe","ahmed","bea","carlos","dana"]')
    UNION ALL
    SELECT 'last', key, value FROM json_each('["smith","mueller","garcia","rossi","dubois","jensen","novak","kowalski","silva","tanaka","kim","nguyen","oconnor","schmidt","martin","bernard","fischer","weber","meyer","wagner","becker","hoffmann","schulz","koch","richter","klein","wolf","neumann","schwarz","braun","zimmermann","krueger","hartmann","lange","werner","lehmann","koehler","maier","koenig","walter"]')
    UNION ALL
    SELECT 'domain', key, value FROM json_each('["gmail.com","outlook.com","yahoo.com","web.de","gmx.de","icloud.com","proton.me","example.org","acme-corp.com","uni-bonn.de","orange.fr","libero.it"]');

-- A UUID-shaped id for number n of a kind (tag 1 user, 2 session, 3 jti, 4 access jti, 5 previous jti).
CREATE TEMP VIEW fill_now AS SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS ms;

BEGIN;
INSERT INTO users (id, email, password_hash, display_name, email_verified, disabled,
                   created_at, updated_at, last_login_at, password_changed_at,
                   tokens_valid_after, registrations, locale)
SELECT printf('%08x-%04x-4%03x-8%03x-%012x', (n * 2654435761) % 4294967296, (n * 40503) % 65536, n % 4096, (n / 4096) % 4096, n),
       f.name || '.' || l.name || '.' || n || '@' || d.name,
       p.hash,
       CASE WHEN n % 3 = 0 THEN NULL ELSE upper(substr(f.name, 1, 1)) || substr(f.name, 2) || ' ' || upper(substr(l.name, 1, 1)) || substr(l.name, 2) END,
       n % 10 <> 7,
       n % 50 = 13,
       strftime('%Y-%m-%d %H:%M:%f', (z.ms - (31536000 - (n * 31536000 / p.users)) * 1000) / 1000.0, 'unixepoch'),
       strftime('%Y-%m-%d %H:%M:%f', (z.ms - (31536000 - (n * 31536000 / p.users)) * 1000 + (n % 30) * 86400000) / 1000.0, 'unixepoch'),
       CASE WHEN n % 10 IN (2, 5, 7) THEN NULL
            ELSE strftime('%Y-%m-%d %H:%M:%f', (z.ms - ((n * 7919) % (86400 * 30)) * 1000) / 1000.0, 'unixepoch') END,
       strftime('%Y-%m-%d %H:%M:%f', (z.ms - (31536000 - (n * 31536000 / p.users)) * 1000) / 1000.0, 'unixepoch'),
       CASE WHEN n % 200 = 3 THEN strftime('%Y-%m-%d %H:%M:%f', (z.ms - (31536000 - (n * 31536000 / p.users)) * 1000 + 3600000) / 1000.0, 'unixepoch') END,
       1,
       CASE n % 6 WHEN 3 THEN 'de' WHEN 4 THEN 'fr' WHEN 5 THEN 'es' END
FROM fill_params p, fill_now z, (SELECT value AS n FROM generate_series(1, (SELECT users FROM fill_params)))
JOIN fill_names f ON f.kind = 'first' AND f.pos = n % 30
JOIN fill_names l ON l.kind = 'last' AND l.pos = (n / 30) % 40
JOIN fill_names d ON d.kind = 'domain' AND d.pos = (n * 31) % 12;

INSERT INTO user_roles (user_id, role_name)
SELECT printf('%08x-%04x-4%03x-8%03x-%012x', (n * 2654435761) % 4294967296, (n * 40503) % 65536, n % 4096, (n / 4096) % 4096, n),
       CASE WHEN n <= 20 THEN 'admin' WHEN n <= 220 THEN 'editor' ELSE 'viewer' END
FROM (SELECT value AS n FROM generate_series(1, (SELECT min(2220, users) FROM fill_params)));
COMMIT;

BEGIN;
INSERT INTO sessions (id, user_id, refresh_jti, access_jti, previous_refresh_jti, rotated_at,
                      created_at, last_used_at, expires_at, revoked_at, revoked_reason,
                      ip, user_agent, aal, amr, auth_time)
SELECT printf('%08x-%04x-4%03x-9%03x-%012x', (s * 2246822519) % 4294967296, (s * 40503) % 65536, s % 4096, (s / 4096) % 4096, s),
       printf('%08x-%04x-4%03x-8%03x-%012x', (u * 2654435761) % 4294967296, (u * 40503) % 65536, u % 4096, (u / 4096) % 4096, u),
       printf('%08x-%04x-4%03x-a%03x-%012x', (s * 3266489917) % 4294967296, (s * 40503) % 65536, s % 4096, (s / 4096) % 4096, s),
       printf('%08x-%04x-4%03x-b%03x-%012x', (s * 668265263) % 4294967296, (s * 40503) % 65536, s % 4096, (s / 4096) % 4096, s),
       CASE WHEN s % 3 = 0 THEN NULL ELSE printf('%08x-%04x-4%03x-a%03x-%012x', (s * 374761393) % 4294967296, (s * 40503) % 65536, s % 4096, (s / 4096) % 4096, s) END,
       CASE WHEN s % 3 = 0 THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%f', last_used / 1000.0, 'unixepoch') END,
       strftime('%Y-%m-%d %H:%M:%f', created / 1000.0, 'unixepoch'),
       strftime('%Y-%m-%d %H:%M:%f', last_used / 1000.0, 'unixepoch'),
       strftime('%Y-%m-%d %H:%M:%f', expires / 1000.0, 'unixepoch'),
       CASE WHEN fate = 2 THEN strftime('%Y-%m-%d %H:%M:%f', ended / 1000.0, 'unixepoch') END,
       CASE WHEN fate = 2 THEN json_extract('["logout","logout","logout","logout_all","password_changed","password_reset","admin","session_limit","reuse"]', '$[' || (s % 9) || ']') END,
       '10.' || (s % 250) || '.' || ((s / 250) % 250) || '.' || (s % 200 + 1),
       json_extract('["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36","Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148","Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15","okhttp/4.12.0","MyApp/3.2 (Android 15)"]', '$[' || (s % 5) || ']'),
       CASE WHEN s % 40 = 0 THEN 'aal2' ELSE 'aal1' END,
       CASE WHEN s % 40 = 0 THEN 'pwd,otp,mfa' WHEN s % 17 = 0 THEN 'email' ELSE 'pwd' END,
       strftime('%Y-%m-%d %H:%M:%f', created / 1000.0, 'unixepoch')
FROM (
    SELECT s, u, fate, ended,
           ended - CASE fate WHEN 2 THEN ((s * 7) % 864000) * 1000 ELSE 2592000000 END AS created,
           ended - CASE fate WHEN 2 THEN ((s * 7) % 864000) * 1000 ELSE 2592000000 END + (s % 3600) * 1000 AS last_used,
           CASE fate WHEN 2 THEN ended - ((s * 7) % 864000) * 1000 + 2592000000 ELSE ended END AS expires
    FROM (
        SELECT s,
               1 + (CAST(p.users * power(((s * 2654435761) % 1000003) / 1000003.0, 1.5) AS INTEGER) * 7919) % p.users AS u,
               CASE WHEN s % 10 < 2 THEN 0 WHEN s % 10 < 5 THEN 1 ELSE 2 END AS fate,
               CASE WHEN s % 10 < 2 THEN z.ms + ((s * 40503) % 2592000) * 1000
                    ELSE z.ms - 1200000 - ((s * 40503) % (2592000 + 3600 - 1200)) * 1000 END AS ended
        FROM fill_params p, fill_now z, (SELECT value AS s FROM generate_series(1, (SELECT sessions FROM fill_params)))
    )
);
COMMIT;

BEGIN;
INSERT INTO audit_events (id, type, at, actor_id, user_id, session_id, ip, user_agent, data)
SELECT printf('%08x-%04x-7%03x-8%03x-%012x', ms >> 16, ms & 65535, e % 4096, (e / 4096) % 4096, e),
       kind,
       strftime('%Y-%m-%d %H:%M:%f', ms / 1000.0, 'unixepoch'),
       CASE WHEN kind IN ('login.failed', 'login.locked') THEN NULL
            WHEN kind IN ('user.disabled', 'user.enabled', 'user.roles_changed')
            THEN printf('%08x-%04x-4%03x-8%03x-%012x', ((1 + e % 20) * 2654435761) % 4294967296, ((1 + e % 20) * 40503) % 65536, (1 + e % 20) % 4096, 0, 1 + e % 20)
            ELSE printf('%08x-%04x-4%03x-8%03x-%012x', (u * 2654435761) % 4294967296, (u * 40503) % 65536, u % 4096, (u / 4096) % 4096, u) END,
       printf('%08x-%04x-4%03x-8%03x-%012x', (u * 2654435761) % 4294967296, (u * 40503) % 65536, u % 4096, (u / 4096) % 4096, u),
       CASE WHEN kind IN ('login.succeeded', 'session.revoked', 'refresh.reuse_detected')
            THEN printf('%08x-%04x-4%03x-9%03x-%012x', (sess * 2246822519) % 4294967296, (sess * 40503) % 65536, sess % 4096, (sess / 4096) % 4096, sess) END,
       '10.' || (e % 250) || '.' || ((e / 250) % 250) || '.' || (e % 200 + 1),
       'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36',
       CASE kind
            WHEN 'login.succeeded' THEN '{"method":"password"}'
            WHEN 'login.failed' THEN '{"reason":"invalid_credentials"}'
            WHEN 'session.revoked' THEN '{"reason":"logout"}'
            WHEN 'user.roles_changed' THEN '{"roles":["viewer"]}'
            ELSE '{}' END
FROM (
    SELECT e,
           1 + (CAST(p.users * power(((e * 2654435761) % 1000003) / 1000003.0, 1.5) AS INTEGER) * 7919) % p.users AS u,
           1 + e % p.sessions AS sess,
           z.ms - ((e * 777767) % 7779600000) AS ms,
           json_extract('["login.succeeded","login.succeeded","login.succeeded","login.succeeded","login.succeeded","login.succeeded","login.succeeded","login.succeeded","session.revoked","session.revoked","session.revoked","login.failed","login.failed","password.changed","user.registered","user.email_verified","password.reset","mfa.enrolled","login.locked","email.changed","refresh.reuse_detected","user.roles_changed","user.disabled","mfa.removed","identity.linked"]', '$[' || ((e * 13) % 25) || ']') AS kind
    FROM fill_params p, fill_now z, (SELECT value AS e FROM generate_series(1, (SELECT events FROM fill_params)))
);
COMMIT;
ANALYZE;

//! Which database and store a test server uses, and removing them after.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A test prerequisite is missing: outside CI the test is skipped with a
/// note; with `CI` set it fails, so nothing skips silently there.
#[track_caller]
pub fn missing_prerequisite(what: &str) {
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!("{what}: a prerequisite of this test is missing, and CI is set");
    }
    eprintln!("{what}: skipping this test (it fails instead when CI is set)");
}

/// `TEST_REDIS_URL` for a test that only means something on Redis. Unset,
/// the test is skipped, unless this run is meant to use Redis
/// (`TEST_EXPECT_BACKENDS` names it): then it fails.
#[track_caller]
pub fn redis_url_or_skip(what: &str) -> Option<String> {
    let url = redis_url();
    if url.is_none() {
        let expected = std::env::var("TEST_EXPECT_BACKENDS").unwrap_or_default();
        assert!(
            !expected.split(',').any(|b| b == "redis"),
            "{what}: TEST_EXPECT_BACKENDS names redis but TEST_REDIS_URL is unset"
        );
        eprintln!("{what}: TEST_REDIS_URL unset, skipping (it means something on Redis only)");
    }
    url
}

/// Resources a test server owns and removes when the test ends.
pub(super) struct Owned {
    pub(super) dir: tempfile::TempDir,
    pub(super) postgres: Option<(String, String)>,
    pub(super) redis: Option<(String, String)>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres {
            drop_database(admin_url, name);
        }
        if let Some((url, prefix)) = &self.redis {
            delete_redis_prefix(url, prefix);
        }
        let _ = &self.dir;
    }
}

fn drop_database(admin_url: &str, name: &str) {
    for _ in 0..10 {
        let dropped = PgConnection::establish(admin_url)
            .ok()
            .and_then(|mut conn| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .ok()
            });
        if dropped.is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("could not drop test database {name}");
}

pub fn delete_redis_prefix(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut conn) = client.get_connection() else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut conn)
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&keys).query(&mut conn);
    }
}

pub(super) fn base_vars(dir: &Path) -> HashMap<String, String> {
    let path = |p: &str| dir.join(p).display().to_string();
    [
        ("AUTH_BIND", "127.0.0.1:0".to_owned()),
        ("AUTH_BCRYPT_COST", "4".to_owned()),
        ("DATABASE_URL", format!("sqlite://{}", path("authd.db"))),
        ("AUTH_JWT_KEY_FILE", path("jwt-ed25519.pem")),
        ("AUTH_MFA_KEY_FILE", path("mfa.key")),
        ("AUTH_OUTBOX_DIR", path("outbox")),
        ("AUTH_FRONTEND_URL", "https://app.example.test".to_owned()),
        ("AUTH_LOG_FORMAT", "json".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub(super) fn database_url_for(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

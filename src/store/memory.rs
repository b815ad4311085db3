//! The in-process store (one instance only): a moka cache whose entries each
//! carry their own expiry. Compound updates take one lock, so each call is
//! atomic like its Redis counterpart.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::sync::Cache;

use super::{AccessState, Counter, Spend, Store, StoreError, keys};

#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    expires_at: Instant,
}

#[derive(Clone, Debug)]
enum Value {
    Int(i64),
    Text(String),
}

struct PerEntryExpiry;

impl Expiry<String, Entry> for PerEntryExpiry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, now: Instant) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        now: Instant,
        _left: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(now))
    }
}

pub struct MemoryStore {
    entries: Cache<String, Entry>,
    // Serialises read-modify-write calls; plain reads do not take it.
    write: Mutex<()>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self {
            // No capacity bound on purpose: evicting a revocation early would
            // bring a revoked token back to life. TTLs bound the size.
            entries: Cache::builder().expire_after(PerEntryExpiry).build(),
            write: Mutex::new(()),
        }
    }

    fn live(&self, key: &str) -> Option<Entry> {
        self.entries
            .get(key)
            .filter(|e| e.expires_at > Instant::now())
    }

    fn int(&self, key: &str) -> Option<i64> {
        match self.live(key)?.value {
            Value::Int(v) => Some(v),
            Value::Text(_) => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding this lock cannot leave an entry half-written
        // (each insert is whole), so a poisoned lock is still usable.
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, key: String, value: Value, ttl: Duration) {
        self.entries.insert(
            key,
            Entry {
                value,
                expires_at: Instant::now() + ttl,
            },
        );
    }

    fn increment(&self, key: &str, ttl: Duration, extend: bool) -> Counter {
        let _guard = self.lock();
        let now = Instant::now();
        let (count, expires_at) = match self.live(key) {
            Some(Entry {
                value: Value::Int(v),
                expires_at,
            }) => (v + 1, if extend { now + ttl } else { expires_at }),
            _ => (1, now + ttl),
        };
        self.entries.insert(
            key.to_owned(),
            Entry {
                value: Value::Int(count),
                expires_at,
            },
        );
        Counter {
            count: count as u64,
            reset_in: expires_at.saturating_duration_since(now),
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// One instance has one database, whose session rows already remember
    /// every spent refresh token for good (a token that is not the session's
    /// current one is refused as reuse). Here the mark only has to settle
    /// requests racing inside the grace window, so it need not fill memory
    /// for the token's 30 days.
    fn denylist_ttl(&self, token_remaining: Duration, grace: Duration) -> Duration {
        token_remaining.min(grace + Duration::from_secs(60))
    }

    async fn access_state(
        &self,
        session_id: &str,
        user_id: &str,
    ) -> Result<AccessState, StoreError> {
        Ok(AccessState {
            session_revoked: self.live(&keys::revoked_session(session_id)).is_some(),
            valid_after: self.int(&keys::valid_after(user_id)),
        })
    }

    async fn revoke_sessions(
        &self,
        session_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        for id in session_ids {
            self.set(keys::revoked_session(id), Value::Int(1), ttl);
        }
        Ok(())
    }

    async fn set_valid_after(
        &self,
        user_id: &str,
        unix_secs: i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let _guard = self.lock();
        let key = keys::valid_after(user_id);
        let value = self.int(&key).map_or(unix_secs, |old| old.max(unix_secs));
        self.set(key, Value::Int(value), ttl);
        Ok(())
    }

    async fn spend_refresh(
        &self,
        jti: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<Spend, StoreError> {
        let _guard = self.lock();
        let key = keys::spent_refresh(jti);
        if let Some(at_ms) = self.int(&key) {
            return Ok(Spend::AlreadySpent { at_ms });
        }
        self.set(key, Value::Int(now_ms), ttl);
        Ok(Spend::Fresh)
    }

    async fn put_successor(&self, jti: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.set(keys::successor(jti), Value::Text(value.to_owned()), ttl);
        Ok(())
    }

    async fn get_successor(&self, jti: &str) -> Result<Option<String>, StoreError> {
        Ok(match self.live(&keys::successor(jti)).map(|e| e.value) {
            Some(Value::Text(v)) => Some(v),
            _ => None,
        })
    }

    async fn hit_window(&self, key: &str, window: Duration) -> Result<Counter, StoreError> {
        Ok(self.increment(key, window, false))
    }

    async fn hit_extend(&self, key: &str, ttl: Duration) -> Result<Counter, StoreError> {
        Ok(self.increment(key, ttl, true))
    }

    async fn counter(&self, key: &str) -> Result<Option<Counter>, StoreError> {
        Ok(self.live(key).and_then(|e| match e.value {
            Value::Int(v) => Some(Counter {
                count: v as u64,
                reset_in: e.expires_at.saturating_duration_since(Instant::now()),
            }),
            Value::Text(_) => None,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.entries.invalidate(key);
        Ok(())
    }
}

//! The in-process store (one instance only): a map under one lock, each
//! entry with its own expiry. Every call holds the lock for its whole
//! read-modify-write, so each is atomic like its Redis counterpart.
//!
//! A plain map rather than a cache crate: under a refresh load this holds
//! tens of thousands of short-lived entries, and a cache's per-entry
//! bookkeeping (several hundred bytes each) dominated the process's memory.
//! Expired entries are swept in passes amortised over writes.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::contract::{AccessState, Attempt, Counter, Spend, Store, StoreError, keys};

/// Writes between two sweeps of expired entries.
const SWEEP_EVERY: u32 = 1024;

#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    expires_at: Instant,
}

#[derive(Clone, Debug)]
enum Value {
    Int(i64),
    Text(String),
    /// A spent refresh token, and when it was spent.
    Spent {
        at_ms: i64,
    },
}

#[derive(Default)]
struct Map {
    entries: HashMap<Box<str>, Entry>,
    writes: u32,
}

impl Map {
    fn live(&self, key: &str, now: Instant) -> Option<&Entry> {
        self.entries.get(key).filter(|e| e.expires_at > now)
    }

    fn int(&self, key: &str, now: Instant) -> Option<i64> {
        match self.live(key, now)?.value {
            Value::Int(v) => Some(v),
            Value::Spent { .. } | Value::Text(_) => None,
        }
    }

    fn set(&mut self, key: String, value: Value, expires_at: Instant) {
        self.writes += 1;
        if self.writes >= SWEEP_EVERY {
            self.writes = 0;
            let now = Instant::now();
            self.entries.retain(|_, e| e.expires_at > now);
            if self.entries.capacity() > 4 * self.entries.len().max(1024) {
                self.entries.shrink_to_fit();
            }
        }
        self.entries
            .insert(key.into_boxed_str(), Entry { value, expires_at });
    }
}

#[derive(Default)]
pub struct MemoryStore {
    // No capacity bound on purpose: evicting a revocation early would bring
    // a revoked token back to life. TTLs bound the size.
    map: Mutex<Map>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        // Every write replaces a whole entry, so a panic elsewhere while the
        // lock was held cannot leave one half-written: a poisoned lock is usable.
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn increment(&self, key: &str, ttl: Duration, extend: bool) -> Counter {
        let mut map = self.lock();
        let now = Instant::now();
        let (count, expires_at) = match map.live(key, now) {
            Some(Entry {
                value: Value::Int(v),
                expires_at,
            }) => (v + 1, if extend { now + ttl } else { *expires_at }),
            _ => (1, now + ttl),
        };
        map.set(key.to_owned(), Value::Int(count), expires_at);
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

    fn keeps_denylist(&self) -> bool {
        false
    }

    async fn access_state(
        &self,
        session_id: &str,
        user_id: &str,
    ) -> Result<AccessState, StoreError> {
        let map = self.lock();
        let now = Instant::now();
        Ok(AccessState {
            session_revoked: map.live(&keys::revoked_session(session_id), now).is_some(),
            valid_after_ms: map.int(&keys::valid_after(user_id), now),
            user_version: map.int(&keys::user_version(user_id), now),
        })
    }

    async fn refresh_state(
        &self,
        session_id: &str,
        user_id: &str,
        _jti: &str,
        _now_ms: i64,
        _ttl: Duration,
    ) -> Result<(AccessState, Option<Spend>), StoreError> {
        Ok((self.access_state(session_id, user_id).await?, None))
    }

    async fn bump_user_versions(
        &self,
        user_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut map = self.lock();
        let expires_at = Instant::now() + ttl;
        for id in user_ids {
            map.set(
                keys::user_version(id),
                Value::Int(super::contract::new_version()),
                expires_at,
            );
        }
        Ok(())
    }

    async fn revoke_sessions(
        &self,
        session_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut map = self.lock();
        let expires_at = Instant::now() + ttl;
        for id in session_ids {
            map.set(keys::revoked_session(id), Value::Int(1), expires_at);
        }
        Ok(())
    }

    async fn set_valid_after(
        &self,
        user_id: &str,
        unix_ms: i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let mut map = self.lock();
        let now = Instant::now();
        let key = keys::valid_after(user_id);
        let value = map.int(&key, now).map_or(unix_ms, |old| old.max(unix_ms));
        map.set(key, Value::Int(value), now + ttl);
        Ok(())
    }

    async fn spend_refresh(
        &self,
        jti: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<Spend, StoreError> {
        let mut map = self.lock();
        let now = Instant::now();
        let key = keys::spent_refresh(jti);
        if let Some(Entry {
            value: Value::Spent { at_ms },
            ..
        }) = map.live(&key, now)
        {
            return Ok(Spend::AlreadySpent { at_ms: *at_ms });
        }
        let spent = Value::Spent { at_ms: now_ms };
        map.set(key, spent, now + ttl);
        Ok(Spend::Fresh)
    }

    async fn unspend_refresh(&self, jti: &str, now_ms: i64) -> Result<(), StoreError> {
        let mut map = self.lock();
        let key = keys::spent_refresh(jti);
        if let Some(Entry {
            value: Value::Spent { at_ms },
            ..
        }) = map.entries.get(key.as_str())
            && *at_ms == now_ms
        {
            map.entries.remove(key.as_str());
        }
        Ok(())
    }

    async fn hit_window(&self, key: &str, window: Duration) -> Result<Counter, StoreError> {
        Ok(self.increment(key, window, false))
    }

    async fn hit_extend(&self, key: &str, ttl: Duration) -> Result<Counter, StoreError> {
        Ok(self.increment(key, ttl, true))
    }

    async fn counter(&self, key: &str) -> Result<Option<Counter>, StoreError> {
        let map = self.lock();
        let now = Instant::now();
        Ok(map.live(key, now).and_then(|e| match e.value {
            Value::Int(v) => Some(Counter {
                count: v as u64,
                reset_in: e.expires_at.saturating_duration_since(now),
            }),
            Value::Spent { .. } | Value::Text(_) => None,
        }))
    }

    async fn reserve_attempt(
        &self,
        failures: &str,
        in_flight: &str,
        limit: u64,
        in_flight_ttl: Duration,
    ) -> Result<Attempt, StoreError> {
        let mut map = self.lock();
        let now = Instant::now();
        let count = |map: &Map, key: &str| match map.live(key, now) {
            Some(Entry {
                value: Value::Int(v),
                expires_at,
            }) => (*v as u64, expires_at.saturating_duration_since(now)),
            _ => (0, Duration::ZERO),
        };
        let (failed, reset_in) = count(&map, failures);
        if failed >= limit {
            return Ok(Attempt::Locked { reset_in });
        }
        let (pending, _) = count(&map, in_flight);
        if failed + pending >= limit {
            return Ok(Attempt::Busy);
        }
        map.set(
            in_flight.to_owned(),
            Value::Int(pending as i64 + 1),
            now + in_flight_ttl,
        );
        Ok(Attempt::Granted)
    }

    async fn give_back(&self, key: &str) -> Result<(), StoreError> {
        let mut map = self.lock();
        let now = Instant::now();
        if let Some(Entry {
            value: Value::Int(v),
            expires_at,
        }) = map.live(key, now).cloned()
            && v > 0
        {
            map.set(key.to_owned(), Value::Int(v - 1), expires_at);
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().entries.remove(key);
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut map = self.lock();
        let now = Instant::now();
        if map.live(key, now).is_some() {
            return Ok(false);
        }
        map.set(key.to_owned(), Value::Text(value.to_owned()), now + ttl);
        Ok(true)
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.lock().set(
            key.to_owned(),
            Value::Text(value.to_owned()),
            Instant::now() + ttl,
        );
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(match self.lock().entries.remove(key) {
            Some(Entry {
                value: Value::Text(v),
                expires_at,
            }) if expires_at > now => Some(v),
            _ => None,
        })
    }
}

//! The Redis store: shared by every instance behind a load balancer. Each
//! call is one round trip (one command, or one Lua script where it must read
//! and write atomically). The connection manager reconnects by itself, so the
//! service recovers without a restart when Redis comes back.

use std::time::Duration;

use std::sync::Arc;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use tokio::sync::Notify;

use super::{AccessState, Attempt, Counter, Spend, Store, StoreError, keys, ttl_ms};

const SPEND_SCRIPT: &str = r"
local first = redis.call('GET', KEYS[1])
if first then return first end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
";

const VALID_AFTER_SCRIPT: &str = r"
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
local new = tonumber(ARGV[1])
if new > old then old = new end
redis.call('SET', KEYS[1], old, 'PX', ARGV[2])
return old
";

// KEYS[1] failures, KEYS[2] in flight; ARGV[1] limit, ARGV[2] in-flight TTL
// (ms). Returns {0} granted, {1, pttl} locked, {2} busy.
const RESERVE_SCRIPT: &str = r"
local limit = tonumber(ARGV[1])
local failed = tonumber(redis.call('GET', KEYS[1]) or '0')
if failed >= limit then return {1, redis.call('PTTL', KEYS[1])} end
local pending = tonumber(redis.call('GET', KEYS[2]) or '0')
if failed + pending >= limit then return {2, 0} end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {0, 0}
";

// DECR keeps the key's expiry; a missing or zero counter stays as it is.
const GIVE_BACK_SCRIPT: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
";

// ARGV[2] = 1: extend the expiry on every hit; 0: only on the first.
const HIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 or ARGV[2] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

const COUNTER_SCRIPT: &str = r"
local count = redis.call('GET', KEYS[1])
if not count then return false end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
";

// KEYS[1] the restore marker, KEYS[2] the generation key. Seals the store
// only if the marker written before the restore is still there (a flush
// during the restore removed it, and the restore must run again).
/// GET and DEL in one step (GETDEL needs Redis 6.2).
const TAKE_SCRIPT: &str = r"
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v
";

const SEAL_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
";

/// How long a restore may take before its marker lapses.
const RESTORE_MARKER_TTL: Duration = Duration::from_secs(300);

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    spend: Script,
    valid_after: Script,
    hit: Script,
    counter: Script,
    give_back: Script,
    reserve: Script,
    seal: Script,
    take: Script,
    /// Signalled when a request finds the generation key gone.
    lost: Arc<Notify>,
    /// Whether access checks require the generation key.
    guarded: bool,
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError(e.to_string())
}

impl RedisStore {
    /// Connects (failing if Redis does not answer now) with short timeouts,
    /// so a dead Redis gives a quick 503 rather than a hung request. This
    /// store trusts Redis as it finds it; the service uses
    /// [`RedisStore::open`], which guards against Redis losing its data.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, prefix, false, None).await
    }

    /// [`RedisStore::connect`] trusting `ca_pem` (PEM certificates) instead
    /// of the built-in web roots for a `rediss://` URL.
    pub async fn connect_with_ca(
        url: &str,
        prefix: &str,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        Self::connect_with(url, prefix, false, ca_pem).await
    }

    /// Connects a store guarded by the generation key: until
    /// [`RedisStore::seal`] writes it (after the revocations were restored
    /// into Redis), and whenever Redis loses it, every access check fails,
    /// so tokens fail closed instead of passing an empty store.
    pub async fn open(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, prefix, true, None).await
    }

    /// [`RedisStore::open`] trusting `ca_pem` (PEM certificates) instead of
    /// the built-in web roots for a `rediss://` URL.
    pub async fn open_with_ca(
        url: &str,
        prefix: &str,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        Self::connect_with(url, prefix, true, ca_pem).await
    }

    async fn connect_with(
        url: &str,
        prefix: &str,
        guarded: bool,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        // `rediss://` verifies the server against the web roots compiled in
        // (webpki-roots), or only against `ca_pem` when given.
        let client = match ca_pem {
            Some(root_cert) => redis::Client::build_with_tls(
                url,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(root_cert),
                },
            ),
            None => redis::Client::open(url),
        }
        .map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError("timed out connecting to Redis".into()))?
        .map_err(unavailable)?;
        let store = Self {
            conn,
            prefix: prefix.to_owned(),
            spend: Script::new(SPEND_SCRIPT),
            valid_after: Script::new(VALID_AFTER_SCRIPT),
            hit: Script::new(HIT_SCRIPT),
            counter: Script::new(COUNTER_SCRIPT),
            give_back: Script::new(GIVE_BACK_SCRIPT),
            reserve: Script::new(RESERVE_SCRIPT),
            seal: Script::new(SEAL_SCRIPT),
            take: Script::new(TAKE_SCRIPT),
            lost: Arc::new(Notify::new()),
            guarded,
        };
        store.ping().await?;
        Ok(store)
    }

    /// Whether this Redis holds the generation key, written once the
    /// revocations the database remembers are in it. A Redis restarted
    /// empty or flushed has lost it.
    pub async fn is_sealed(&self) -> Result<bool, StoreError> {
        self.conn()
            .exists(self.key(keys::GENERATION))
            .await
            .map_err(unavailable)
    }

    /// Marks the start of a restore; returns the marker to seal with.
    pub async fn begin_restore(&self) -> Result<String, StoreError> {
        let marker = self.key(&format!("restoring:{}", uuid::Uuid::new_v4().simple()));
        self.conn()
            .pset_ex::<_, _, ()>(&marker, 1, ttl_ms(RESTORE_MARKER_TTL))
            .await
            .map_err(unavailable)?;
        Ok(marker)
    }

    /// Writes the generation key if the marker from [`begin_restore`]
    /// survived; false when Redis was flushed meanwhile.
    ///
    /// [`begin_restore`]: RedisStore::begin_restore
    pub async fn seal(&self, marker: &str) -> Result<bool, StoreError> {
        let sealed: i64 = self
            .seal
            .key(marker)
            .key(self.key(keys::GENERATION))
            // When it was sealed (a number, read with the other values).
            .arg(chrono::Utc::now().timestamp_millis())
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(sealed == 1)
    }

    /// Resolves when a request found the generation key gone.
    pub async fn lost(&self) {
        self.lost.notified().await;
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The reads behind an access check: revoked session, valid-after,
    /// the user's cache version and, when guarded, the generation key.
    fn access_read(&self, session_id: &str, user_id: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("MGET");
        cmd.arg(self.key(&keys::revoked_session(session_id)))
            .arg(self.key(&keys::valid_after(user_id)))
            .arg(self.key(&keys::user_version(user_id)));
        if self.guarded {
            cmd.arg(self.key(keys::GENERATION));
        }
        cmd
    }

    fn access_from(&self, values: &[Option<i64>]) -> Result<AccessState, StoreError> {
        let value = |i: usize| values.get(i).copied().flatten();
        if self.guarded && value(3).is_none() {
            // Redis lost what it held (restarted empty, flushed): a missing
            // revocation here proves nothing until they are restored.
            self.lost.notify_one();
            return Err(StoreError(
                "Redis lost its data; revocations are being restored".into(),
            ));
        }
        Ok(AccessState {
            session_revoked: value(0).is_some(),
            valid_after_ms: value(1),
            user_version: value(2),
        })
    }

    fn conn(&self) -> ConnectionManager {
        // Cheap: a handle onto one multiplexed connection.
        self.conn.clone()
    }

    async fn hit(&self, key: &str, ttl: Duration, extend: bool) -> Result<Counter, StoreError> {
        let (count, ttl_left): (u64, i64) = self
            .hit
            .key(self.key(key))
            .arg(ttl_ms(ttl))
            .arg(if extend { "1" } else { "0" })
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(Counter {
            count,
            reset_in: Duration::from_millis(ttl_left.max(0) as u64),
        })
    }
}

#[async_trait]
impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = redis::cmd("PING")
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn access_state(
        &self,
        session_id: &str,
        user_id: &str,
    ) -> Result<AccessState, StoreError> {
        let values: Vec<Option<i64>> = self
            .access_read(session_id, user_id)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        self.access_from(&values)
    }

    async fn refresh_state(
        &self,
        session_id: &str,
        user_id: &str,
        jti: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<(AccessState, Option<Spend>), StoreError> {
        // One round trip: the access read, then the spend. Not atomic
        // together, nor need they be: each is what the two separate calls
        // would have seen.
        let mut pipe = redis::pipe();
        pipe.add_command(self.access_read(session_id, user_id));
        // EVAL, not EVALSHA: a pipeline cannot load a missing script and
        // retry, and this script is short.
        pipe.cmd("EVAL")
            .arg(SPEND_SCRIPT)
            .arg(1)
            .arg(self.key(&keys::spent_refresh(jti)))
            .arg(now_ms)
            .arg(ttl_ms(ttl));
        let (values, first): (Vec<Option<i64>>, Option<i64>) = pipe
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        let access = self.access_from(&values)?;
        let spend = match first {
            None => Spend::Fresh,
            Some(at_ms) => Spend::AlreadySpent { at_ms },
        };
        Ok((access, Some(spend)))
    }

    async fn bump_user_versions(
        &self,
        user_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        if user_ids.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for id in user_ids {
            pipe.cmd("SET")
                .arg(self.key(&keys::user_version(id)))
                .arg(super::new_version())
                .arg("PX")
                .arg(ttl_ms(ttl))
                .ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn revoke_sessions(
        &self,
        session_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        if session_ids.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for id in session_ids {
            pipe.cmd("SET")
                .arg(self.key(&keys::revoked_session(id)))
                .arg(1)
                .arg("PX")
                .arg(ttl_ms(ttl))
                .ignore();
        }
        pipe.query_async::<()>(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn set_valid_after(
        &self,
        user_id: &str,
        unix_ms: i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let _: i64 = self
            .valid_after
            .key(self.key(&keys::valid_after(user_id)))
            .arg(unix_ms)
            .arg(ttl_ms(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn spend_refresh(
        &self,
        jti: &str,
        now_ms: i64,
        ttl: Duration,
    ) -> Result<Spend, StoreError> {
        let first: Option<i64> = self
            .spend
            .key(self.key(&keys::spent_refresh(jti)))
            .arg(now_ms)
            .arg(ttl_ms(ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(match first {
            None => Spend::Fresh,
            Some(at_ms) => Spend::AlreadySpent { at_ms },
        })
    }

    async fn hit_window(&self, key: &str, window: Duration) -> Result<Counter, StoreError> {
        self.hit(key, window, false).await
    }

    async fn hit_extend(&self, key: &str, ttl: Duration) -> Result<Counter, StoreError> {
        self.hit(key, ttl, true).await
    }

    async fn counter(&self, key: &str) -> Result<Option<Counter>, StoreError> {
        let value: Option<(u64, i64)> = self
            .counter
            .key(self.key(key))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(value.map(|(count, ttl)| Counter {
            count,
            reset_in: Duration::from_millis(ttl.max(0) as u64),
        }))
    }

    async fn reserve_attempt(
        &self,
        failures: &str,
        in_flight: &str,
        limit: u64,
        in_flight_ttl: Duration,
    ) -> Result<Attempt, StoreError> {
        let (answer, pttl): (i64, i64) = self
            .reserve
            .key(self.key(failures))
            .key(self.key(in_flight))
            .arg(limit)
            .arg(ttl_ms(in_flight_ttl))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(match answer {
            0 => Attempt::Granted,
            1 => Attempt::Locked {
                reset_in: Duration::from_millis(pttl.max(0) as u64),
            },
            _ => Attempt::Busy,
        })
    }

    async fn give_back(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = self
            .give_back
            .key(self.key(key))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.conn()
            .del::<_, ()>(self.key(key))
            .await
            .map_err(unavailable)
    }

    async fn put_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }

    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.conn()
            .pset_ex::<_, _, ()>(self.key(key), value, ttl_ms(ttl))
            .await
            .map_err(unavailable)
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.take
            .key(self.key(key))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }
}

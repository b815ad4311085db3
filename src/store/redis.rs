//! The Redis store: shared by every instance behind a load balancer, on one
//! Redis server or a Redis Cluster. Each call is one round trip (one
//! command, or one Lua script where it must read and write atomically). Both
//! connections reconnect by themselves, so the service recovers without a
//! restart when Redis comes back.
//!
//! On a cluster, every Lua script's keys share a hash slot (see
//! [`keys`]), and reads or writes that span slots go out as one command per
//! slot, concurrently, instead of one pipeline (a cluster pipeline must stay
//! in one slot).

use std::time::Duration;

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::future::try_join_all;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{AsyncCommands, Cmd, Pipeline, RedisFuture, Script, Value};
use tokio::sync::Notify;

use super::contract::{AccessState, Attempt, Counter, Spend, Store, StoreError, keys, ttl_ms};
use crate::config::RedisUrl;

// The Lua scripts, one file each in `lua/`.
const SPEND_SCRIPT: &str = include_str!("lua/spend.lua");
const UNSPEND_SCRIPT: &str = include_str!("lua/unspend.lua");
const VALID_AFTER_SCRIPT: &str = include_str!("lua/valid_after.lua");
const RESERVE_SCRIPT: &str = include_str!("lua/reserve.lua");
const GIVE_BACK_SCRIPT: &str = include_str!("lua/give_back.lua");
const HIT_SCRIPT: &str = include_str!("lua/hit.lua");
const COUNTER_SCRIPT: &str = include_str!("lua/counter.lua");
const TAKE_SCRIPT: &str = include_str!("lua/take.lua");
const SEAL_SCRIPT: &str = include_str!("lua/seal.lua");

/// How long a restore may take before its marker lapses.
const RESTORE_MARKER_TTL: Duration = Duration::from_secs(300);

/// One connection to a server, or one to a cluster (which keeps a
/// connection per node and follows the slot map).
#[derive(Clone)]
enum Conn {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Server(conn) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Server(conn) => conn.req_packed_commands(cmd, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Server(conn) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

/// Short timeouts everywhere, so a dead Redis (or a dead cluster master)
/// gives a quick 503 rather than a hung request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the store connects through. A cluster connection is renewed from
/// its client when it stops answering (see [`RedisStore::renew`]).
enum Link {
    Server(ConnectionManager),
    Cluster {
        client: Box<ClusterClient>,
        conn: std::sync::RwLock<ClusterConnection>,
    },
}

pub struct RedisStore {
    link: Link,
    prefix: String,
    spend: Script,
    valid_after: Script,
    hit: Script,
    counter: Script,
    give_back: Script,
    reserve: Script,
    take: Script,
    /// Signalled when a request finds the generation key gone.
    lost: Arc<Notify>,
    /// Whether access checks require the generation key.
    guarded: bool,
    /// Writes that carry a committed revocation or user change and did not
    /// reach Redis: written again once it answers (see [`Missed`]).
    missed: std::sync::Mutex<Missed>,
}

/// What the database committed but Redis missed (a write failed after the
/// commit; the request answered 503). Left alone, a password reset or a
/// disable that committed while Redis stalled would leave the revoked
/// sessions' access tokens working once Redis answered again, and other
/// instances' caches of the user stale (issue 28). The revocation watch
/// writes every revocation again from the database and bumps these users'
/// versions, within a second of Redis answering.
#[derive(Default)]
struct Missed {
    revocations: bool,
    users: std::collections::HashSet<String>,
}

/// Users remembered for a late version bump, at most: beyond it, the
/// cache's own expiry covers them.
const MISSED_USERS_CAP: usize = 100_000;

async fn connect_cluster(client: &ClusterClient) -> Result<ClusterConnection, StoreError> {
    tokio::time::timeout(Duration::from_secs(5), client.get_async_connection())
        .await
        .map_err(|_| StoreError("timed out connecting to the Redis Cluster".into()))?
        .map_err(unavailable)
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError(e.to_string())
}

impl RedisStore {
    /// Connects (failing if Redis does not answer now) with short timeouts,
    /// so a dead Redis gives a quick 503 rather than a hung request. This
    /// store trusts Redis as it finds it; the service uses
    /// [`RedisStore::open_with_ca`], which guards against Redis losing its
    /// data. `url` is any `REDIS_URL` form (a server or a cluster).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let url = RedisUrl::parse(url).map_err(StoreError)?;
        Self::connect_with(&url, prefix, false, None).await
    }

    /// [`RedisStore::connect`] trusting `ca_pem` (PEM certificates) instead
    /// of the built-in web roots for a TLS URL.
    pub async fn connect_with_ca(
        url: &RedisUrl,
        prefix: &str,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        Self::connect_with(url, prefix, false, ca_pem).await
    }

    /// Connects a store guarded by the generation keys: until
    /// [`RedisStore::seal`] writes them (after the revocations were restored
    /// into Redis), and whenever Redis loses one, access checks that need it
    /// fail, so tokens fail closed instead of passing an empty store.
    pub async fn open(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let url = RedisUrl::parse(url).map_err(StoreError)?;
        Self::connect_with(&url, prefix, true, None).await
    }

    /// [`RedisStore::open`] trusting `ca_pem` (PEM certificates) instead of
    /// the built-in web roots for a TLS URL.
    pub async fn open_with_ca(
        url: &RedisUrl,
        prefix: &str,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        Self::connect_with(url, prefix, true, ca_pem).await
    }

    async fn connect_with(
        url: &RedisUrl,
        prefix: &str,
        guarded: bool,
        ca_pem: Option<Vec<u8>>,
    ) -> Result<Self, StoreError> {
        // TLS verifies the server against the web roots compiled in
        // (webpki-roots), or only against `ca_pem` when given.
        let certificates = |root_cert| redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(root_cert),
        };
        let link = match url {
            RedisUrl::Server(url) => {
                let client = match ca_pem {
                    Some(root_cert) => {
                        redis::Client::build_with_tls(url.as_str(), certificates(root_cert))
                    }
                    None => redis::Client::open(url.as_str()),
                }
                .map_err(unavailable)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(1));
                let conn = tokio::time::timeout(
                    Duration::from_secs(5),
                    ConnectionManager::new_with_config(client, config),
                )
                .await
                .map_err(|_| StoreError("timed out connecting to Redis".into()))?
                .map_err(unavailable)?;
                Link::Server(conn)
            }
            RedisUrl::Cluster { nodes, .. } => {
                // One retry, a short wait: a request meeting a dead master
                // fails within the response timeout (the overall timeout,
                // retries included), and the client refreshes its slot map
                // by itself when the cluster changes.
                let mut builder = ClusterClientBuilder::new(nodes.iter().map(String::as_str))
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(RESPONSE_TIMEOUT)
                    .retries(1)
                    .min_retry_wait(50)
                    .max_retry_wait(250);
                if let Some(root_cert) = ca_pem {
                    builder = builder.certs(certificates(root_cert));
                }
                let client = builder.build().map_err(unavailable)?;
                let conn = connect_cluster(&client).await?;
                Link::Cluster {
                    client: Box::new(client),
                    conn: std::sync::RwLock::new(conn),
                }
            }
        };
        let store = Self {
            link,
            prefix: prefix.to_owned(),
            spend: Script::new(SPEND_SCRIPT),
            valid_after: Script::new(VALID_AFTER_SCRIPT),
            hit: Script::new(HIT_SCRIPT),
            counter: Script::new(COUNTER_SCRIPT),
            give_back: Script::new(GIVE_BACK_SCRIPT),
            reserve: Script::new(RESERVE_SCRIPT),
            take: Script::new(TAKE_SCRIPT),
            lost: Arc::new(Notify::new()),
            guarded,
            missed: std::sync::Mutex::default(),
        };
        store.ping().await?;
        Ok(store)
    }

    /// Whether this Redis holds every bucket's generation key, written
    /// once the revocations the database remembers are in it. A Redis (or a
    /// cluster master) restarted empty or flushed has lost some.
    pub async fn is_sealed(&self) -> Result<bool, StoreError> {
        // One EXISTS; a cluster client splits it per slot and adds up.
        let names: Vec<String> = (0..keys::BUCKETS)
            .map(|bucket| self.key(&keys::generation(bucket)))
            .collect();
        let present: u64 = self.conn().exists(&names).await.map_err(unavailable)?;
        Ok(present == u64::from(keys::BUCKETS))
    }

    /// Marks the start of a restore in every bucket; returns the marker to
    /// seal with.
    pub async fn begin_restore(&self) -> Result<String, StoreError> {
        let marker = uuid::Uuid::new_v4().simple().to_string();
        let writes = (0..keys::BUCKETS).map(|bucket| {
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(&keys::restore_marker(bucket, &marker)))
                .arg(1)
                .arg("PX")
                .arg(ttl_ms(RESTORE_MARKER_TTL));
            cmd
        });
        self.run_all(writes.collect()).await?;
        Ok(marker)
    }

    /// Writes each bucket's generation key if its marker from
    /// [`begin_restore`] survived; false when some did not (Redis, or one
    /// cluster master, was flushed meanwhile).
    ///
    /// [`begin_restore`]: RedisStore::begin_restore
    pub async fn seal(&self, marker: &str) -> Result<bool, StoreError> {
        // When it was sealed (a number, read with the other values).
        let now_ms = chrono::Utc::now().timestamp_millis();
        let seals = (0..keys::BUCKETS).map(|bucket| {
            // EVAL, not EVALSHA: a pipeline cannot load a missing script.
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(SEAL_SCRIPT)
                .arg(2)
                .arg(self.key(&keys::restore_marker(bucket, marker)))
                .arg(self.key(&keys::generation(bucket)))
                .arg(now_ms);
            cmd
        });
        let sealed = self.run_all(seals.collect()).await?;
        Ok(sealed
            .iter()
            .all(|v| matches!(redis::from_redis_value_ref::<i64>(v), Ok(1))))
    }

    fn missed(&self) -> std::sync::MutexGuard<'_, Missed> {
        self.missed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that a revocation (a revoked session, a "valid after" time)
    /// did not reach Redis.
    pub fn miss_revocations(&self) {
        self.missed().revocations = true;
    }

    /// Notes that new versions of these users did not reach Redis. Their
    /// change may have revoked tokens (a reset, a disable, a logout-all
    /// commit a user change first, and publish their revocations only
    /// after it reached Redis), so the revocations are written again too.
    fn miss_users(&self, user_ids: &[String]) {
        let mut missed = self.missed();
        missed.revocations = true;
        for id in user_ids {
            if missed.users.len() >= MISSED_USERS_CAP {
                tracing::warn!(
                    "too many user changes missed Redis; the rest wait for the cache to expire"
                );
                break;
            }
            missed.users.insert(id.clone());
        }
    }

    /// What missed Redis since the last call: whether revocations did, and
    /// the users whose new versions did.
    pub fn take_missed(&self) -> (bool, Vec<String>) {
        let mut missed = self.missed();
        let revocations = std::mem::take(&mut missed.revocations);
        (revocations, missed.users.drain().collect())
    }

    /// Resolves when a request found a generation key gone.
    pub async fn lost(&self) {
        self.lost.notified().await;
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs commands that may touch different hash slots: one pipeline on
    /// a server (one round trip); on a cluster, each command on its own,
    /// all at once (a cluster pipeline must stay in one slot).
    async fn run_all(&self, cmds: Vec<Cmd>) -> Result<Vec<Value>, StoreError> {
        match self.conn() {
            Conn::Server(conn) => {
                let mut pipe = redis::pipe();
                for cmd in cmds {
                    pipe.add_command(cmd);
                }
                pipe.query_async(&mut conn.clone())
                    .await
                    .map_err(unavailable)
            }
            Conn::Cluster(conn) => try_join_all(cmds.iter().map(|cmd| {
                let mut conn = conn.clone();
                async move { cmd.query_async::<Value>(&mut conn).await }
            }))
            .await
            .map_err(unavailable),
        }
    }

    /// The reads behind an access check: revoked session, valid-after,
    /// the user's cache version and, when guarded, the generation keys of
    /// the session's and the user's buckets. One MGET; a cluster client
    /// splits it per slot (at most two), sends the parts at once and puts
    /// the answers back in order.
    fn access_read(&self, session_id: &str, user_id: &str) -> Cmd {
        let mut cmd = redis::cmd("MGET");
        cmd.arg(self.key(&keys::revoked_session(session_id)))
            .arg(self.key(&keys::valid_after(user_id)))
            .arg(self.key(&keys::user_version(user_id)));
        if self.guarded {
            cmd.arg(self.key(&keys::generation(keys::bucket(session_id))))
                .arg(self.key(&keys::generation(keys::bucket(user_id))));
        }
        cmd
    }

    fn access_from(&self, values: &[Option<i64>]) -> Result<AccessState, StoreError> {
        let value = |i: usize| values.get(i).copied().flatten();
        if self.guarded && (value(3).is_none() || value(4).is_none()) {
            // Redis (or the cluster master holding these keys) lost what it
            // held (restarted empty, flushed): a missing revocation here
            // proves nothing until they are restored.
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

    /// Sets each key (unprefixed) to a value of `value`, expiring after
    /// `ttl`: one pipeline on a server, one command per key on a cluster.
    async fn set_each(
        &self,
        keys: impl Iterator<Item = String>,
        value: impl Fn() -> i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let writes = keys.map(|key| {
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(&key))
                .arg(value())
                .arg("PX")
                .arg(ttl_ms(ttl));
            cmd
        });
        self.run_all(writes.collect()).await.map(drop)
    }

    fn conn(&self) -> Conn {
        // Cheap: a handle onto multiplexed connections.
        match &self.link {
            Link::Server(conn) => Conn::Server(conn.clone()),
            Link::Cluster { conn, .. } => Conn::Cluster(match conn.read() {
                Ok(conn) => conn.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            }),
        }
    }

    /// On a cluster, replaces the connection with a fresh one (a new slot
    /// map and new node connections). The cluster client repairs a lost
    /// node in the background, but was seen to keep timing out after a
    /// master came back; the revocation watch calls this while Redis does
    /// not answer. A server's connection manager reconnects by itself.
    pub async fn renew(&self) -> Result<(), StoreError> {
        let Link::Cluster { client, conn } = &self.link else {
            return Ok(());
        };
        let fresh = connect_cluster(client).await?;
        match conn.write() {
            Ok(mut conn) => *conn = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }

    /// Takes back the spend of `jti` made at `now_ms`. EVAL, not EVALSHA:
    /// one command, so it runs right behind the spend it follows, even on a
    /// Redis that has not loaded the script yet.
    fn unspend_cmd(&self, jti: &str, now_ms: i64) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(UNSPEND_SCRIPT)
            .arg(1)
            .arg(self.key(&keys::spent_refresh(jti)))
            .arg(now_ms);
        cmd
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
        match self.link {
            Link::Server(_) => "redis",
            Link::Cluster { .. } => "redis-cluster",
        }
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
        // One round trip: the access read, then the spend (on a cluster,
        // both at once). Not atomic together, nor need they be: each is
        // what the two separate calls would have seen.
        let mut spend = redis::cmd("EVAL");
        // EVAL, not EVALSHA: a pipeline cannot load a missing script and
        // retry, and this script is short.
        spend
            .arg(SPEND_SCRIPT)
            .arg(1)
            .arg(self.key(&keys::spent_refresh(jti)))
            .arg(now_ms)
            .arg(ttl_ms(ttl));
        let answers = match self
            .run_all(vec![self.access_read(session_id, user_id), spend])
            .await
        {
            Ok(answers) => answers,
            Err(e) => {
                // The script may have run with its answer lost (Redis
                // stalled past the response timeout): take the mark back
                // behind it, on the same connection, without holding up
                // the 503.
                let (unspend, mut conn) = (self.unspend_cmd(jti, now_ms), self.conn());
                tokio::spawn(async move {
                    let taken: redis::RedisResult<i64> = unspend.query_async(&mut conn).await;
                    if let Err(e) = taken {
                        tracing::debug!(error = %e, "could not take back a refresh token's spend");
                    }
                });
                return Err(e);
            }
        };
        let (values, first): (Vec<Option<i64>>, Option<i64>) =
            redis::from_redis_value(Value::Array(answers))
                .map_err(|e| StoreError(e.to_string()))?;
        let access = match self.access_from(&values) {
            Ok(access) => access,
            Err(e) => {
                // Refused before any rotation (Redis lost its data): the
                // spend this call made is taken back.
                if first.is_none()
                    && let Err(e) = self.unspend_refresh(jti, now_ms).await
                {
                    tracing::warn!(error = %e, "could not take back a refresh token's spend");
                }
                return Err(e);
            }
        };
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
        let keys = user_ids.iter().map(|id| keys::user_version(id));
        let bumped = self.set_each(keys, super::contract::new_version, ttl).await;
        if bumped.is_err() {
            self.miss_users(user_ids);
        }
        bumped
    }

    async fn revoke_sessions(
        &self,
        session_ids: &[String],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        if session_ids.is_empty() {
            return Ok(());
        }
        let keys = session_ids.iter().map(|id| keys::revoked_session(id));
        let written = self.set_each(keys, || 1, ttl).await;
        if written.is_err() {
            self.miss_revocations();
        }
        written
    }

    async fn set_valid_after(
        &self,
        user_id: &str,
        unix_ms: i64,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let written: redis::RedisResult<i64> = self
            .valid_after
            .key(self.key(&keys::valid_after(user_id)))
            .arg(unix_ms)
            .arg(ttl_ms(ttl))
            .invoke_async(&mut self.conn())
            .await;
        if written.is_err() {
            self.miss_revocations();
        }
        written.map(drop).map_err(unavailable)
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

    async fn unspend_refresh(&self, jti: &str, now_ms: i64) -> Result<(), StoreError> {
        let _: i64 = self
            .unspend_cmd(jti, now_ms)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(())
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

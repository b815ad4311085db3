//! The database: one Diesel code path over SQLite and PostgreSQL, pooled by
//! r2d2. Queries run on the blocking pool through [`Db::run`], never on the
//! async workers.

pub mod audit_events;
mod changes;
mod connection;
pub mod email_logins;
pub mod housekeeping;
pub mod identities;
pub mod mfa;
pub mod mfa_failures;
pub mod models;
pub mod one_time_tokens;
pub mod outbox;
pub mod schema;
pub mod sessions;
pub mod ssf_outbox;
pub mod user_cache;
pub mod users;
pub mod webhook_outbox;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::blocking::WorkerPool;
use crate::config::DatabaseUrl;
use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub use connection::{AnyConnection, DbPool, PooledConn};

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("cannot create the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot run migrations: {0}")]
    Migrate(String),
    #[error("{0}")]
    Folder(String),
}

/// Creates the SQLite database's own folder (mode 0700) when it is missing,
/// but never more than that one level: a missing grandparent is most likely
/// a typo in `DATABASE_URL`, not a tree to build.
fn create_database_folder(folder: &std::path::Path) -> Result<(), DbSetupError> {
    if folder.is_dir() {
        return Ok(());
    }
    let above = folder
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !above.is_dir() {
        return Err(DbSetupError::Folder(format!(
            "the folder {} does not exist; authd creates only the database's own folder ({}), so create {} first or fix the path",
            above.display(),
            folder.display(),
            above.display()
        )));
    }
    crate::private_fs::create_dir(folder).map_err(|e| {
        DbSetupError::Folder(format!(
            "cannot create the folder {}: {e}",
            folder.display()
        ))
    })
}

#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    /// One thread per pooled connection runs the queries.
    workers: Arc<WorkerPool>,
    /// SQLite has one writer at a time. Write transactions queue here, in
    /// order, instead of polling SQLite's busy handler (whose backoff sleeps
    /// gave refreshes a tail of over a second under load).
    sqlite_writes: Arc<Mutex<()>>,
    /// Requests now waiting for a connection while the pool has none (the
    /// database is down, or coming back).
    probing: Arc<AtomicUsize>,
    users: Arc<user_cache::UserCache>,
    /// Until when (unix ms) every checkout is validated; see `checkout`.
    suspect_until: Arc<AtomicI64>,
}

/// How long after a failed connection every checkout is validated.
const SUSPECT_FOR_MS: i64 = 10_000;

/// A pooled connection that answers. Checkouts are not validated in the
/// normal run of things (a `SELECT 1` round trip before every query cost
/// a third of a refresh on PostgreSQL). Once a call failed on a connection
/// that then did not answer `SELECT 1`, or no connection could be had (the
/// database restarted or went away), every
/// checkout runs `SELECT 1` for the next [`SUSPECT_FOR_MS`], and a pooled
/// connection that fails it is dropped (the pool discards broken ones) for
/// the next: so the stale connections a restart leaves behind are replaced
/// instead of failing requests, and the first request after the database
/// returns succeeds.
fn checkout(pool: &DbPool, suspect_until: &AtomicI64) -> Result<PooledConn, ApiError> {
    let unavailable = |e: r2d2::Error| {
        suspect_until.store(
            Utc::now().timestamp_millis() + SUSPECT_FOR_MS,
            Ordering::SeqCst,
        );
        tracing::warn!(error = %e, "database pool exhausted or unreachable");
        ApiError::ServiceUnavailable("database")
    };
    let mut conn = pool.get().map_err(unavailable)?;
    if Utc::now().timestamp_millis() >= suspect_until.load(Ordering::SeqCst) {
        return Ok(conn);
    }
    // Every pooled connection may be stale: try each once, then a new one.
    for _ in 0..=pool.max_size() {
        if conn.batch_execute("SELECT 1").is_ok() {
            return Ok(conn);
        }
        drop(conn);
        conn = pool.get().map_err(unavailable)?;
    }
    Err(ApiError::ServiceUnavailable("database"))
}

/// While the pool has no connection at all, this many requests wait for
/// one (and so notice the database coming back); the rest answer 503 at
/// once instead of queueing behind them.
const MAX_PROBING: usize = 2;

/// Counts a request waiting on an empty pool, while it lives.
struct Probe(Arc<AtomicUsize>);

impl Probe {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter.clone())
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How long a request waits for a pooled connection. The database threads
/// each hold at most one connection, so this wait only runs out when no
/// connection can be made: the database is down, and the request answers
/// 503 at once rather than after seconds. r2d2 retries a failed connect
/// after at most half of this, so the first request after the database
/// returns finds a fresh connection in time.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_millis(600);

/// Start-up and command-line work waits longer for its first connection.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// No statement runs longer than this on PostgreSQL (a stuck lock or a
/// half-dead server ends as an error, not a hung database thread).
const STATEMENT_TIMEOUT_MS: u32 = 5_000;

/// Sets the SQLite pragmas and the PostgreSQL statement timeout on every new
/// pooled connection.
#[derive(Debug)]
struct SessionSettings;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        match conn {
            AnyConnection::Sqlite(conn) => conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA wal_autocheckpoint = 10000;",
            ),
            AnyConnection::Postgresql(conn) => {
                conn.batch_execute(&format!("SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            }
        }
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// How often SQLite's write-ahead log is copied back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Checkpoints SQLite's write-ahead log from a thread of its own while the
/// `Db` lives (`alive`). Left to SQLite, the checkpoint runs inside the
/// commit that crosses `wal_autocheckpoint`, while that request holds the
/// writer's turn, so every write queued behind it waited too (refresh p99
/// 11 → 55 ms once a refresh became a single UPDATE, issue #19). PASSIVE
/// never blocks readers or writers; the connections' own threshold
/// (10,000 pages) only bounds the log should this thread fall behind.
fn spawn_checkpointer(path: String, alive: std::sync::Weak<Mutex<()>>) -> Result<(), DbSetupError> {
    let mut conn =
        SqliteConnection::establish(&path).map_err(|e| DbSetupError::Connect(e.to_string()))?;
    std::thread::Builder::new()
        .name("authd-checkpoint".into())
        .spawn(move || {
            while alive.strong_count() > 0 {
                std::thread::sleep(CHECKPOINT_EVERY);
                if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::debug!(error = %e, "SQLite checkpoint did not run; retrying");
                }
            }
        })
        .map(drop)
        .map_err(|e| DbSetupError::Connect(format!("cannot start the checkpoint thread: {e}")))
}

/// libpq parameters that bound how long a dead or unreachable server can
/// hold a connection, added to a PostgreSQL URL unless it sets them:
/// a connect timeout (libpq rounds anything under 2 s up to 2 s) and TCP
/// keepalives plus a TCP user timeout, so a silently dropped connection is
/// noticed in seconds instead of the kernel's two hours.
const PG_FAIL_FAST_PARAMS: [(&str, &str); 6] = [
    ("connect_timeout", "2"),
    ("keepalives", "1"),
    ("keepalives_idle", "5"),
    ("keepalives_interval", "2"),
    ("keepalives_count", "2"),
    ("tcp_user_timeout", "9000"),
];

/// `url` with [`PG_FAIL_FAST_PARAMS`] added where it does not set them.
pub fn with_fail_fast_params(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    for (name, value) in PG_FAIL_FAST_PARAMS {
        let present = params.iter().any(|p| p.split('=').next() == Some(name));
        if !present {
            params.push(format!("{name}={value}"));
        }
    }
    format!("{base}?{}", params.join("&"))
}

impl Db {
    /// Connects once directly (so a failure names its real cause), then
    /// builds the pool.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbSetupError> {
        let raw = match url {
            DatabaseUrl::Postgres(raw) => {
                let url = with_fail_fast_params(raw);
                PgConnection::establish(&url).map_err(|e| DbSetupError::Connect(e.to_string()))?;
                url
            }
            DatabaseUrl::Sqlite(path) => {
                if !path.starts_with("file:")
                    && let Some(parent) = std::path::Path::new(path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    create_database_folder(parent)?;
                }
                // SQLite gives its -wal and -shm files the database's mode.
                if !path.starts_with("file:") {
                    crate::private_fs::touch(std::path::Path::new(path))
                        .map_err(|e| DbSetupError::Connect(format!("cannot create {path}: {e}")))?;
                }
                SqliteConnection::establish(path)
                    .map_err(|e| DbSetupError::Connect(e.to_string()))?;
                path.clone()
            }
        };
        let manager = ConnectionManager::<AnyConnection>::new(raw);
        let builder = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(CHECKOUT_TIMEOUT)
            // Not on every checkout (a round trip per query): see `checkout`.
            .test_on_check_out(false)
            .connection_customizer(Box::new(SessionSettings));
        // A shared in-memory SQLite database lives while one connection is
        // open: keep one always (and a warm connection helps every backend).
        // Not `build`: it would give the first connections only the short
        // checkout timeout, which a loaded machine can miss; the direct
        // connect above has already proved the database answers.
        let pool = builder.min_idle(Some(1)).build_unchecked(manager);
        let workers = WorkerPool::new("authd-db", pool_size as usize)
            .map_err(|e| DbSetupError::Connect(format!("cannot start database threads: {e}")))?;
        let sqlite_writes = Arc::new(Mutex::new(()));
        if let DatabaseUrl::Sqlite(path) = url {
            spawn_checkpointer(path.clone(), Arc::downgrade(&sqlite_writes))?;
        }
        Ok(Self {
            pool,
            workers: Arc::new(workers),
            sqlite_writes,
            probing: Arc::new(AtomicUsize::new(0)),
            users: Arc::default(),
            suspect_until: Arc::new(AtomicI64::new(0)),
        })
    }

    pub fn migrate(&self) -> Result<usize, DbSetupError> {
        let mut conn = self.pool.get_timeout(START_TIMEOUT)?;
        let applied = match &mut *conn {
            AnyConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            }
            // A migration may build an index over every user or session:
            // at a million rows that takes longer than the statement timeout
            // of a request (an index over 1,000,000 users was cancelled at
            // 5 s, bench/scale.sh). The timeout is lifted for the migrations
            // and put back before the connection returns to the pool.
            AnyConnection::Postgresql(c) => c
                .batch_execute("SET statement_timeout = 0")
                .map_err(Into::into)
                .and_then(|()| c.run_pending_migrations(POSTGRES_MIGRATIONS))
                .map(|v| v.len())
                .and_then(|applied| {
                    c.batch_execute(&format!("SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))?;
                    Ok(applied)
                }),
        };
        applied.map_err(|e| DbSetupError::Migrate(e.to_string()))
    }

    /// A connection for start-up and CLI work, outside any request.
    pub fn get_blocking(&self) -> Result<PooledConn, ApiError> {
        self.pool
            .get_timeout(START_TIMEOUT)
            .map_err(|_| ApiError::ServiceUnavailable("database"))
    }

    /// Runs `f` with a pooled connection on the database threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        if pool.state().connections == 0 && self.probing.load(Ordering::SeqCst) >= MAX_PROBING {
            return Err(ApiError::ServiceUnavailable("database"));
        }
        let probing = self.probing.clone();
        let suspect_until = self.suspect_until.clone();
        let (result, changed) = self
            .workers
            .run(move || {
                let probe = (pool.state().connections == 0).then(|| Probe::new(&probing));
                let mut conn = match checkout(&pool, &suspect_until) {
                    Ok(conn) => conn,
                    Err(e) => return (Err(e), Vec::new()),
                };
                drop(probe);
                // Notes a call that panicked may have left behind.
                drop(changes::take());
                let mut result = f(&mut conn);
                // A failure on a connection that no longer answers is the
                // database's unavailability (it restarted or went away):
                // 503, and checkouts are validated for a while.
                if result.is_err() && conn.batch_execute("SELECT 1").is_err() {
                    suspect_until.store(
                        Utc::now().timestamp_millis() + SUSPECT_FOR_MS,
                        Ordering::SeqCst,
                    );
                    if !matches!(result, Err(ApiError::ServiceUnavailable(_))) {
                        tracing::warn!(
                            "a database call failed on a connection that no longer answers"
                        );
                        result = Err(ApiError::ServiceUnavailable("database"));
                    }
                }
                (result, changes::take())
            })
            .await?;
        if !changed.is_empty() {
            // The change is committed: a failure to tell the other
            // instances answers 503 rather than leave them stale unsaid.
            self.users.changed(&changed).await?;
        }
        result
    }

    /// The user cache (see [`user_cache`]).
    pub fn users(&self) -> &user_cache::UserCache {
        &self.users
    }

    /// A user's row and roles: from the cache when it was loaded under
    /// `version` (the store's, read before this call), else from the
    /// database. `None` when there is no such user.
    pub async fn user(
        &self,
        user_id: &str,
        version: Option<i64>,
    ) -> Result<Option<user_cache::LoadedUser>, ApiError> {
        if let Some(user) = self.users.get(user_id, version) {
            return Ok(Some(user));
        }
        let id = user_id.to_owned();
        let loaded = self
            .run(move |conn| {
                let Some(row) = users::find_by_id(conn, &id)? else {
                    return Ok(None);
                };
                let roles = users::roles_of(conn, &id)?;
                Ok(Some(Arc::new((row, roles))))
            })
            .await?;
        if let Some(user) = &loaded {
            self.users.put(user_id, version, user.clone());
        }
        Ok(loaded)
    }

    /// Runs `f` inside one transaction on the database threads.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let writes = self.sqlite_writes.clone();
        self.run(move |conn| {
            let _turn = matches!(conn, AnyConnection::Sqlite(_))
                .then(|| writes.lock().unwrap_or_else(PoisonError::into_inner));
            write_transaction(conn, f)
        })
        .await
    }

    /// Runs `f` outside a transaction, handing it the SQLite writer's turn
    /// to hold around a single conditional write (so the write queues here
    /// rather than polling SQLite's busy handler).
    pub async fn run_with_turn<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection, &WriteTurn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let writes = self.sqlite_writes.clone();
        self.run(move |conn| {
            let turn = WriteTurn {
                gate: matches!(conn, AnyConnection::Sqlite(_)).then_some(writes),
            };
            f(conn, &turn)
        })
        .await
    }

    pub async fn ping(&self) -> Result<(), ApiError> {
        self.run(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }

    pub fn state(&self) -> r2d2::State {
        self.pool.state()
    }
}

/// The SQLite writer's turn (nothing on PostgreSQL, where rows lock).
pub struct WriteTurn {
    gate: Option<Arc<Mutex<()>>>,
}

impl WriteTurn {
    pub fn take(&self) -> Option<MutexGuard<'_, ()>> {
        self.gate
            .as_ref()
            .map(|gate| gate.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Now, truncated to microseconds: PostgreSQL keeps no more, so values
/// compare equal after a round trip on both backends.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now().naive_utc())
}

pub fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike;
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

/// A transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`:
/// a deferred transaction that reads first and writes later fails with
/// "database is locked" when another writer committed in between, where an
/// immediate one waits its turn (busy_timeout).
fn write_transaction<T, F>(conn: &mut AnyConnection, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        AnyConnection::Postgresql(_) => return conn.transaction(f),
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
    }
    let result = f(conn);
    let AnyConnection::Sqlite(inner) = conn else {
        return Err(ApiError::internal(
            "connection changed inside a transaction",
        ));
    };
    match result {
        Ok(value) => match AnsiTransactionManager::commit_transaction(inner) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(inner);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(inner);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_fail_fast_params;

    #[test]
    fn fail_fast_params_are_added_only_where_absent() {
        let url = with_fail_fast_params("postgres://u@h/db");
        assert!(url.starts_with("postgres://u@h/db?connect_timeout=2&keepalives=1"));
        assert!(url.contains("tcp_user_timeout=9000"));
        let url = with_fail_fast_params("postgres://u@h/db?sslmode=disable&connect_timeout=7");
        assert!(url.contains("sslmode=disable"));
        assert!(url.contains("connect_timeout=7"));
        assert!(!url.contains("connect_timeout=2"));
    }
}

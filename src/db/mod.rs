//! The database: one Diesel code path over SQLite and PostgreSQL, pooled by
//! r2d2. Queries run on the blocking pool through [`Db::run`], never on the
//! async workers.

pub mod models;
pub mod outbox;
pub mod schema;
pub mod sessions;
pub mod tokens;
pub mod users;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::blocking::WorkerPool;
use crate::config::DatabaseUrl;
use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<AnyConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<AnyConnection>>;

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
}

/// Sets the SQLite pragmas on every new pooled connection.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            conn.batch_execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

impl Db {
    /// Connects once directly (so a failure names its real cause), then
    /// builds the pool.
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbSetupError> {
        let raw = match url {
            DatabaseUrl::Postgres(raw) => {
                PgConnection::establish(raw).map_err(|e| DbSetupError::Connect(e.to_string()))?;
                raw.clone()
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
            .connection_timeout(Duration::from_secs(5))
            .connection_customizer(Box::new(SqlitePragmas));
        // A shared in-memory SQLite database lives while one connection is
        // open: keep one always (and a warm connection helps every backend).
        let pool = builder.min_idle(Some(1)).build(manager)?;
        let workers = WorkerPool::new("authd-db", pool_size as usize)
            .map_err(|e| DbSetupError::Connect(format!("cannot start database threads: {e}")))?;
        Ok(Self {
            pool,
            workers: Arc::new(workers),
            sqlite_writes: Arc::new(Mutex::new(())),
        })
    }

    pub fn migrate(&self) -> Result<usize, DbSetupError> {
        let mut conn = self.pool.get()?;
        let applied = match &mut *conn {
            AnyConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            }
            AnyConnection::Postgresql(c) => c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len()),
        };
        applied.map_err(|e| DbSetupError::Migrate(e.to_string()))
    }

    /// A connection for start-up and CLI work, outside any request.
    pub fn get_blocking(&self) -> Result<PooledConn, ApiError> {
        self.pool
            .get()
            .map_err(|_| ApiError::ServiceUnavailable("database"))
    }

    /// Runs `f` with a pooled connection on the database threads.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        self.workers
            .run(move || {
                let mut conn = pool.get().map_err(|e| {
                    tracing::warn!(error = %e, "database pool exhausted or unreachable");
                    ApiError::ServiceUnavailable("database")
                })?;
                f(&mut conn)
            })
            .await?
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

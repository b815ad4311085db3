//! The one connection type of every query: SQLite or PostgreSQL, chosen
//! at start from `DATABASE_URL`. The table modules import it from here,
//! not from `db`, so that `db` (the pool and its workers) can use them
//! without an import circle.

use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager<AnyConnection>>;
pub type PooledConn = PooledConnection<ConnectionManager<AnyConnection>>;

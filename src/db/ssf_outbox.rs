//! Shared Signals pushes (API.md §18): queued in the transaction of their
//! audit event, claimed and retried by the shared outbox runner like the
//! webhook deliveries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewSsfPush, SsfRow};
use super::outbox::{DEAD, DELIVERED, PENDING};
use super::schema::ssf_outbox;

pub const TABLE: &str = "ssf_outbox";

pub fn enqueue(conn: &mut AnyConnection, push: &NewSsfPush<'_>) -> QueryResult<()> {
    diesel::insert_into(ssf_outbox::table)
        .values(push)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SsfRow>> {
    ssf_outbox::table.find(id).first(conn).optional()
}

pub fn mark_delivered(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(ssf_outbox::table.find(id))
        .set((
            ssf_outbox::status.eq(DELIVERED),
            ssf_outbox::delivered_at.eq(at),
            ssf_outbox::attempts.eq(ssf_outbox::attempts + 1),
            ssf_outbox::locked_until.eq(None::<NaiveDateTime>),
            ssf_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Pending and dead pushes, by count.
pub fn counts(conn: &mut AnyConnection) -> QueryResult<(i64, i64)> {
    let count = |conn: &mut AnyConnection, status: &str| -> QueryResult<i64> {
        ssf_outbox::table
            .filter(ssf_outbox::status.eq(status))
            .count()
            .get_result(conn)
    };
    Ok((count(conn, PENDING)?, count(conn, DEAD)?))
}

/// Deletes at most `batch` delivered or dead rows created before `cutoff`.
pub fn delete_finished(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM ssf_outbox WHERE id IN (SELECT id FROM ssf_outbox \
         WHERE status <> 'pending' AND created_at < $1 LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamp, _>(cutoff)
    .bind::<diesel::sql_types::BigInt, _>(batch)
    .execute(conn)
}

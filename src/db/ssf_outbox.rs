//! Shared Signals pushes (API.md §18): queued in the transaction of their
//! audit event, claimed and retried by the shared outbox runner like the
//! webhook deliveries (`db::outbox` keeps the bookkeeping both share).

use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewSsfPush, SsfRow};
use super::outbox;
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

/// The pushes by status.
pub fn counts(conn: &mut AnyConnection) -> QueryResult<outbox::Counts> {
    outbox::counts(conn, TABLE)
}

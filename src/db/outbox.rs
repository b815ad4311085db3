//! The transactional mail outbox: messages are written in the same
//! transaction as the change that causes them and claimed by the worker
//! with a lease, so several instances never send one message twice. The
//! claim and the failure bookkeeping serve every outbox table
//! (`outbox_runner`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::AnyConnection;
use super::models::{NewOutboxMessage, OutboxRow};
use super::schema::mail_outbox;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";
/// A webhook or Shared Signals push the receiver accepted.
pub const DELIVERED: &str = "delivered";
/// The kind of a row the worker drops unsent (`mail::enqueue_nothing`).
pub const NOTHING: &str = "nothing";

pub fn enqueue(conn: &mut AnyConnection, message: &NewOutboxMessage<'_>) -> QueryResult<()> {
    diesel::insert_into(mail_outbox::table)
        .values(message)
        .execute(conn)
        .map(drop)
}

/// A row the caller's instance now holds the lease on.
#[derive(Debug, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Attempts made before this one.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims the oldest due row of outbox `table` until `lease_until`. The
/// conditional UPDATE is the claim: of two instances racing for a row, the
/// database lets one update it (PostgreSQL re-checks the condition on the
/// locked row, SQLite has one writer), and RETURNING says whether this one
/// won. `table` is one of the outbox tables' names, never input.
pub fn claim_one(
    conn: &mut AnyConnection,
    table: &'static str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    // SQLite numbers `$N` parameters in the order they first appear, not by
    // N: keep `$1` first in the text so both backends bind alike.
    let due = "status = 'pending' AND next_attempt_at <= $2 \
               AND (locked_until IS NULL OR locked_until < $2)";
    diesel::sql_query(format!(
        "UPDATE {table} SET locked_until = $1 WHERE {due} AND id = \
         (SELECT id FROM {table} WHERE {due} ORDER BY created_at LIMIT 1) \
         RETURNING id, attempts"
    ))
    .bind::<Timestamp, _>(lease_until)
    .bind::<Timestamp, _>(now)
    .get_result(conn)
    .optional()
}

/// Records a failed attempt on a row of outbox `table`: retried at
/// `next_attempt_at`, or dead.
pub fn record_failure(
    conn: &mut AnyConnection,
    table: &'static str,
    id: &str,
    error: &str,
    next_attempt_at: NaiveDateTime,
    dead: bool,
) -> QueryResult<()> {
    diesel::sql_query(format!(
        "UPDATE {table} SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
         locked_until = NULL, last_error = $3 WHERE id = $4"
    ))
    .bind::<Text, _>(if dead { DEAD } else { PENDING })
    .bind::<Timestamp, _>(next_attempt_at)
    .bind::<Text, _>(error)
    .bind::<Text, _>(id)
    .execute(conn)
    .map(drop)
}

/// Records a delivery on a row of a delivery outbox `table` (webhooks,
/// Shared Signals pushes).
pub fn mark_delivered(
    conn: &mut AnyConnection,
    table: &'static str,
    id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::sql_query(format!(
        "UPDATE {table} SET status = $1, delivered_at = $2, attempts = attempts + 1, \
         locked_until = NULL, last_error = NULL WHERE id = $3"
    ))
    .bind::<Text, _>(DELIVERED)
    .bind::<Timestamp, _>(at)
    .bind::<Text, _>(id)
    .execute(conn)
    .map(drop)
}

/// A delivery outbox's rows by status.
#[derive(Debug, QueryableByName)]
pub struct Counts {
    /// Waiting: the first attempt or a retry.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub pending: i64,
    /// The part of `pending` that failed at least once.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub retrying: i64,
    /// Delivered (`sent`, for mail).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub delivered: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub dead: i64,
}

/// How many rows of outbox `table` (mail, webhooks, pushes) are pending,
/// retrying, delivered and dead, in one query.
pub fn counts(conn: &mut AnyConnection, table: &'static str) -> QueryResult<Counts> {
    diesel::sql_query(format!(
        "SELECT COUNT(CASE WHEN status = 'pending' THEN 1 END) AS pending, \
         COUNT(CASE WHEN status = 'pending' AND attempts > 0 THEN 1 END) AS retrying, \
         COUNT(CASE WHEN status IN ('delivered', 'sent') THEN 1 END) AS delivered, \
         COUNT(CASE WHEN status = 'dead' THEN 1 END) AS dead FROM {table}"
    ))
    .get_result(conn)
}

/// Deletes at most `batch` delivered or dead rows of a delivery outbox
/// `table` created before `cutoff`.
pub fn delete_finished(
    conn: &mut AnyConnection,
    table: &'static str,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} \
         WHERE status <> 'pending' AND created_at < $1 LIMIT $2)"
    ))
    .bind::<Timestamp, _>(cutoff)
    .bind::<diesel::sql_types::BigInt, _>(batch)
    .execute(conn)
}

/// Records a delivery and clears the message's subject and bodies: they
/// hold live one-time tokens, and the row is kept only as a record.
pub fn mark_sent(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::status.eq(SENT),
            mail_outbox::subject.eq(""),
            mail_outbox::body_text.eq(""),
            mail_outbox::body_html.eq(""),
            mail_outbox::sent_at.eq(now),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// How many messages wait, since when the oldest waits, and how many died.
pub fn stats(conn: &mut AnyConnection) -> QueryResult<(i64, Option<NaiveDateTime>, i64)> {
    let pending = mail_outbox::table
        .filter(mail_outbox::status.eq(PENDING))
        .count()
        .get_result(conn)?;
    let oldest = mail_outbox::table
        .filter(mail_outbox::status.eq(PENDING))
        .select(diesel::dsl::min(mail_outbox::created_at))
        .first(conn)?;
    let dead = mail_outbox::table
        .filter(mail_outbox::status.eq(DEAD))
        .count()
        .get_result(conn)?;
    Ok((pending, oldest, dead))
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<OutboxRow>> {
    mail_outbox::table.find(id).first(conn).optional()
}

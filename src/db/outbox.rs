//! The transactional mail outbox: messages are written in the same
//! transaction as the change that causes them and claimed by the worker
//! with a lease, so several instances never send one message twice.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewOutboxMessage, OutboxRow};
use super::schema::mail_outbox;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

pub fn enqueue(conn: &mut AnyConnection, message: &NewOutboxMessage<'_>) -> QueryResult<()> {
    diesel::insert_into(mail_outbox::table)
        .values(message)
        .execute(conn)
        .map(drop)
}

/// Claims up to `limit` due messages until `lease_until`. The conditional
/// UPDATE is the claim: of two instances racing for a row, the database
/// lets one update it (PostgreSQL re-checks the condition on the locked row,
/// SQLite has one writer), and RETURNING says which rows this one won.
pub fn claim_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let due = || {
        mail_outbox::table
            .filter(mail_outbox::status.eq(PENDING))
            .filter(mail_outbox::next_attempt_at.le(now))
            .filter(
                mail_outbox::locked_until
                    .is_null()
                    .or(mail_outbox::locked_until.lt(now)),
            )
    };
    let ids: Vec<String> = due()
        .select(mail_outbox::id)
        .order(mail_outbox::created_at.asc())
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(due().filter(mail_outbox::id.eq_any(&ids)))
        .set(mail_outbox::locked_until.eq(lease_until))
        .returning(mail_outbox::all_columns)
        .get_results(conn)
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

/// Records a failed attempt: retried at `next_attempt_at`, or dead.
pub fn mark_failed(
    conn: &mut AnyConnection,
    id: &str,
    error: &str,
    next_attempt_at: NaiveDateTime,
    dead: bool,
) -> QueryResult<()> {
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::status.eq(if dead { DEAD } else { PENDING }),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::next_attempt_at.eq(next_attempt_at),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(error),
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

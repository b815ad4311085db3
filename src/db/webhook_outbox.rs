//! Webhook deliveries: queued in the transaction of their audit event,
//! claimed and retried by the shared outbox runner (`db::outbox::claim_one`,
//! `record_failure`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewWebhook, WebhookRow};
pub use super::outbox::DELIVERED;
use super::outbox::{DEAD, PENDING};
use super::schema::webhook_outbox;

pub const TABLE: &str = "webhook_outbox";

pub fn enqueue(conn: &mut AnyConnection, webhook: &NewWebhook<'_>) -> QueryResult<()> {
    diesel::insert_into(webhook_outbox::table)
        .values(webhook)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhook_outbox::table.find(id).first(conn).optional()
}

pub fn mark_delivered(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(webhook_outbox::table.find(id))
        .set((
            webhook_outbox::status.eq(DELIVERED),
            webhook_outbox::delivered_at.eq(at),
            webhook_outbox::attempts.eq(webhook_outbox::attempts + 1),
            webhook_outbox::locked_until.eq(None::<NaiveDateTime>),
            webhook_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Pending, delivered and dead deliveries, by count.
pub fn counts(conn: &mut AnyConnection) -> QueryResult<(i64, i64, i64)> {
    let count = |conn: &mut AnyConnection, status: &str| -> QueryResult<i64> {
        webhook_outbox::table
            .filter(webhook_outbox::status.eq(status))
            .count()
            .get_result(conn)
    };
    Ok((
        count(conn, PENDING)?,
        count(conn, DELIVERED)?,
        count(conn, DEAD)?,
    ))
}

/// Deletes at most `batch` delivered or dead rows created before `cutoff`.
pub fn delete_finished(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM webhook_outbox \
         WHERE status <> 'pending' AND created_at < $1 LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamp, _>(cutoff)
    .bind::<diesel::sql_types::BigInt, _>(batch)
    .execute(conn)
}

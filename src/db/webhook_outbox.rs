//! Webhook deliveries: queued in the transaction of their audit event,
//! claimed and retried by the shared outbox runner (`db::outbox::claim_one`,
//! `record_failure`).

use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewWebhook, WebhookRow};
use super::outbox;
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

/// The deliveries by status.
pub fn counts(conn: &mut AnyConnection) -> QueryResult<outbox::Counts> {
    outbox::counts(conn, TABLE)
}

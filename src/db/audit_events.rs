//! The audit log's queries. Every read orders by `id` (a UUIDv7, so by
//! time) through one of the `(column, id)` indexes of migration
//! `2026-11-30-150001_audit_events`; time bounds are turned into id bounds
//! ([`id_bound`]), so no query needs an index on `at`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::connection::AnyConnection;
use super::models::AuditEventRow;
use super::schema::audit_events;

pub fn insert(conn: &mut AnyConnection, event: &AuditEventRow) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(drop)
}

/// The smallest UUIDv7 text of millisecond `at`: every id minted at or
/// after `at` sorts at or after it, every earlier one before it.
pub fn id_bound(at: NaiveDateTime) -> String {
    let ms = at.and_utc().timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
    format!(
        "{:08x}-{:04x}-7000-8000-000000000000",
        ms >> 16,
        ms & 0xffff
    )
}

/// What the admin listing filters on; `from_id` inclusive, `to_id` and
/// `before_id` (the cursor) exclusive.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub user_id: Option<String>,
    pub kind: Option<String>,
    pub from_id: Option<String>,
    pub to_id: Option<String>,
    pub before_id: Option<String>,
}

/// Up to `limit` events matching `filter`, newest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    let mut query = audit_events::table.into_boxed();
    if let Some(user_id) = &filter.user_id {
        query = query.filter(audit_events::user_id.eq(user_id.clone()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(audit_events::kind.eq(kind.clone()));
    }
    if let Some(from) = &filter.from_id {
        query = query.filter(audit_events::id.ge(from.clone()));
    }
    if let Some(to) = &filter.to_id {
        query = query.filter(audit_events::id.lt(to.clone()));
    }
    if let Some(before) = &filter.before_id {
        query = query.filter(audit_events::id.lt(before.clone()));
    }
    query.order(audit_events::id.desc()).limit(limit).load(conn)
}

/// The last `limit` events that concern `user_id` or that they caused,
/// newest first: two index-ordered reads merged (an `OR` would sort every
/// match of a busy user).
pub fn concerning(
    conn: &mut AnyConnection,
    user_id: &str,
    limit: i64,
) -> QueryResult<Vec<AuditEventRow>> {
    let mut rows: Vec<AuditEventRow> = audit_events::table
        .filter(audit_events::user_id.eq(user_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .load(conn)?;
    let acted: Vec<AuditEventRow> = audit_events::table
        .filter(audit_events::actor_id.eq(user_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .load(conn)?;
    rows.extend(acted);
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    rows.dedup_by(|a, b| a.id == b.id);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

/// Deletes at most `batch` events older than `cutoff` (by id, through the
/// primary key).
pub fn delete_older_than(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    batch: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM audit_events WHERE id IN \
         (SELECT id FROM audit_events WHERE id < $1 ORDER BY id LIMIT $2)",
    )
    .bind::<Text, _>(id_bound(cutoff))
    .bind::<BigInt, _>(batch)
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::id_bound;

    #[test]
    fn an_id_bound_sorts_between_the_ids_of_its_neighbouring_milliseconds() {
        let at = chrono::DateTime::from_timestamp_millis(1_764_500_000_123)
            .unwrap()
            .naive_utc();
        let ts = |ms: u64| {
            uuid::Timestamp::from_unix(uuid::NoContext, ms / 1000, (ms % 1000) as u32 * 1_000_000)
        };
        let same = uuid::Uuid::new_v7(ts(1_764_500_000_123)).to_string();
        let before = uuid::Uuid::new_v7(ts(1_764_500_000_122)).to_string();
        let bound = id_bound(at);
        assert!(before < bound, "{before} < {bound}");
        assert!(same >= bound, "{same} >= {bound}");
    }
}

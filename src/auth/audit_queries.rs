//! Reading the audit log: the admin listing with its filters and cursor,
//! and a user's own security events (API.md §12).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};

use crate::api_types::AuditEvent;
use crate::auth::audit::EventType;
use crate::db::audit_events::{self, AuditFilter};
use crate::db::{Db, truncate};
use crate::error::ApiError;

/// At most this many events per page; the default is [`DEFAULT_LIMIT`].
pub const MAX_LIMIT: i64 = 200;
pub const DEFAULT_LIMIT: i64 = 50;
/// A user sees their last this many events.
pub const SECURITY_EVENTS: i64 = 50;

/// The admin listing's filters, parsed.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub user_id: Option<String>,
    pub kind: Option<EventType>,
    /// Events at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Events at or before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Events older than the last one of the previous page.
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

/// The opaque page cursor: the last id served, base64url-encoded. Ids are
/// UUIDv7, so "older than the cursor" stays exact while events are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| "is not a cursor this service issued")?;
        let id = String::from_utf8(bytes).map_err(|_| "is not a cursor this service issued")?;
        uuid::Uuid::parse_str(&id).map_err(|_| "is not a cursor this service issued")?;
        Ok(Self(id))
    }

    fn after(id: &str) -> String {
        URL_SAFE_NO_PAD.encode(id.as_bytes())
    }
}

/// One page, newest first, and the cursor of the next one (None on the
/// last page).
pub async fn list(
    db: &Db,
    query: AuditQuery,
) -> Result<(Vec<AuditEvent>, Option<String>), ApiError> {
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let filter = AuditFilter {
        user_id: query.user_id,
        kind: query.kind.map(|k| k.as_str().to_owned()),
        from_id: query
            .since
            .map(|t| audit_events::id_bound(truncate(t.naive_utc()))),
        // `until` is inclusive: below the first id of the next millisecond.
        to_id: query
            .until
            .map(|t| audit_events::id_bound(truncate(t.naive_utc()) + TimeDelta::milliseconds(1))),
        before_id: query.cursor.map(|c| c.0),
    };
    let mut rows = db
        .run(move |conn| Ok(audit_events::list(conn, &filter, limit + 1)?))
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = more
        .then(|| rows.last().map(|row| Cursor::after(&row.id)))
        .flatten();
    Ok((rows.into_iter().map(AuditEvent::from_row).collect(), next))
}

/// The last [`SECURITY_EVENTS`] events that concern `user_id` or that they
/// caused, newest first.
pub async fn security_events(db: &Db, user_id: &str) -> Result<Vec<AuditEvent>, ApiError> {
    let id = user_id.to_owned();
    let rows = db
        .run(move |conn| Ok(audit_events::concerning(conn, &id, SECURITY_EVENTS)?))
        .await?;
    Ok(rows.into_iter().map(AuditEvent::from_row).collect())
}

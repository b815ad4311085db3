//! What the revocation feed (API.md §18) reads: sessions revoked, and users
//! whose every token died at a time (a "valid after" move, or a deletion),
//! in time order from a point.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{deleted_users, sessions, users};

/// Where a page starts: at `at` (entries at that time included), or just
/// after it (a page that continues one cut off at `at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    At(NaiveDateTime),
    After(NaiveDateTime),
}

pub struct RevokedSession {
    pub sid: String,
    pub sub: String,
    pub at: NaiveDateTime,
    pub reason: Option<String>,
}

pub struct DeadBefore {
    pub sub: String,
    pub at: NaiveDateTime,
}

/// Up to `limit` revoked sessions from `from`, oldest first.
pub fn sessions_from(
    conn: &mut AnyConnection,
    from: From,
    limit: i64,
) -> QueryResult<Vec<RevokedSession>> {
    let query = sessions::table
        .select((
            sessions::id,
            sessions::user_id,
            sessions::revoked_at.assume_not_null(),
            sessions::revoked_reason,
        ))
        .order((sessions::revoked_at.asc(), sessions::id.asc()))
        .limit(limit)
        .into_boxed();
    let query = match from {
        From::At(t) => query.filter(sessions::revoked_at.ge(t)),
        From::After(t) => query.filter(sessions::revoked_at.gt(t)),
    };
    Ok(query
        .load::<(String, String, NaiveDateTime, Option<String>)>(conn)?
        .into_iter()
        .map(|(sid, sub, at, reason)| RevokedSession {
            sid,
            sub,
            at,
            reason,
        })
        .collect())
}

/// Up to `limit` users whose tokens all died at a time from `from` (their
/// "valid after" time, or their deletion), oldest first.
pub fn dead_before_from(
    conn: &mut AnyConnection,
    from: From,
    limit: i64,
) -> QueryResult<Vec<DeadBefore>> {
    let moved = users::table
        .select((users::id, users::tokens_valid_after.assume_not_null()))
        .order((users::tokens_valid_after.asc(), users::id.asc()))
        .limit(limit)
        .into_boxed();
    let moved = match from {
        From::At(t) => moved.filter(users::tokens_valid_after.ge(t)),
        From::After(t) => moved.filter(users::tokens_valid_after.gt(t)),
    };
    let deleted = deleted_users::table
        .select((deleted_users::user_id, deleted_users::deleted_at))
        .order((
            deleted_users::deleted_at.asc(),
            deleted_users::user_id.asc(),
        ))
        .limit(limit)
        .into_boxed();
    let deleted = match from {
        From::At(t) => deleted.filter(deleted_users::deleted_at.ge(t)),
        From::After(t) => deleted.filter(deleted_users::deleted_at.gt(t)),
    };
    let mut all: Vec<DeadBefore> = moved
        .load::<(String, NaiveDateTime)>(conn)?
        .into_iter()
        .chain(deleted.load::<(String, NaiveDateTime)>(conn)?)
        .map(|(sub, at)| DeadBefore { sub, at })
        .collect();
    all.sort_by(|a, b| (a.at, &a.sub).cmp(&(b.at, &b.sub)));
    all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(all)
}

//! Second-factor failures per account over a rolling day (API.md §14):
//! rows, not a store counter, so neither a restart nor a flushed Redis
//! hands out a fresh allowance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::schema::mfa_failures;

pub fn record(conn: &mut AnyConnection, user_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(mfa_failures::table)
        .values((
            mfa_failures::id.eq(uuid::Uuid::now_v7().to_string()),
            mfa_failures::user_id.eq(user_id),
            mfa_failures::failed_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Failures of the user since `since`.
pub fn count_since(
    conn: &mut AnyConnection,
    user_id: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    mfa_failures::table
        .filter(mfa_failures::user_id.eq(user_id))
        .filter(mfa_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
}

/// Forgets the user's failures (an admin unlock).
pub fn clear(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(mfa_failures::table.filter(mfa_failures::user_id.eq(user_id))).execute(conn)
}

/// The oldest of the user's failures since `since`.
pub fn oldest_since(
    conn: &mut AnyConnection,
    user_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    mfa_failures::table
        .filter(mfa_failures::user_id.eq(user_id))
        .filter(mfa_failures::failed_at.gt(since))
        .select(diesel::dsl::min(mfa_failures::failed_at))
        .first(conn)
}

//! One-time tokens (email verification, password reset), stored only as
//! SHA-256 hashes: the database never holds a usable token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewOneTimeToken, OneTimeTokenRow};
use super::schema::one_time_tokens;

pub fn insert(conn: &mut AnyConnection, token: &NewOneTimeToken<'_>) -> QueryResult<()> {
    diesel::insert_into(one_time_tokens::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<OneTimeTokenRow>> {
    one_time_tokens::table
        .find(token_hash)
        .first(conn)
        .optional()
}

/// The user's newest live token of `purpose` (unspent, unexpired).
pub fn newest_live(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<OneTimeTokenRow>> {
    one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user_id))
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::expires_at.gt(now))
        .order(one_time_tokens::created_at.desc())
        .first(conn)
        .optional()
}

/// Spends the token; false if it was spent already (a concurrent use lost).
pub fn mark_used(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        one_time_tokens::table
            .find(token_hash)
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Spends every outstanding token of a purpose for a user.
pub fn spend_all(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq(purpose))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(now))
    .execute(conn)
    .map(drop)
}

/// Spends every outstanding token of these purposes for a user.
pub fn spend_purposes(
    conn: &mut AnyConnection,
    user_id: &str,
    purposes: &[&str],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        one_time_tokens::table
            .filter(one_time_tokens::user_id.eq(user_id))
            .filter(one_time_tokens::purpose.eq_any(purposes))
            .filter(one_time_tokens::used_at.is_null()),
    )
    .set(one_time_tokens::used_at.eq(now))
    .execute(conn)
}

/// Spends every outstanding token of a user but those of `kept_purposes`
/// and, of `kept_before`'s purpose, those issued before its time (the
/// revert links of earlier email changes, which a revert must not take
/// from their addresses).
pub fn spend_every_but(
    conn: &mut AnyConnection,
    user_id: &str,
    kept_purposes: &[&str],
    kept_before: Option<(&str, NaiveDateTime)>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let live = one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user_id))
        .filter(one_time_tokens::used_at.is_null())
        .filter(one_time_tokens::purpose.ne_all(kept_purposes));
    match kept_before {
        None => diesel::update(live)
            .set(one_time_tokens::used_at.eq(now))
            .execute(conn),
        Some((purpose, before)) => diesel::update(
            live.filter(
                one_time_tokens::purpose
                    .ne(purpose)
                    .or(one_time_tokens::created_at.ge(before)),
            ),
        )
        .set(one_time_tokens::used_at.eq(now))
        .execute(conn),
    }
}

//! Pending passwordless sign-ins (API.md §15): the link's token as its
//! SHA-256, the code as a keyed hash, and the code's wrong tries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use super::connection::AnyConnection;
use super::models::EmailLoginRow;
use super::schema::email_logins;

pub fn insert(conn: &mut AnyConnection, row: &EmailLoginRow) -> QueryResult<()> {
    diesel::insert_into(email_logins::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Ends every live pair sent to `email` (a newer start replaces them).
pub fn end_for_address(
    conn: &mut AnyConnection,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_logins::table
            .filter(email_logins::email.eq(email))
            .filter(email_logins::used_at.is_null()),
    )
    .set(email_logins::used_at.eq(now))
    .execute(conn)
}

/// Ends every live pair of an account (API.md §14).
pub fn end_for_user(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_logins::table
            .filter(email_logins::user_id.eq(user_id))
            .filter(email_logins::used_at.is_null()),
    )
    .set(email_logins::used_at.eq(now))
    .execute(conn)
}

/// Spends the live pair whose link token hashes to `token_hash`; the row
/// when this call spent it (of two racing spends, one gets it).
pub fn spend_by_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    max_tries: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<EmailLoginRow>> {
    let Some(row) = email_logins::table
        .find(token_hash)
        .select(EmailLoginRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let spent = diesel::update(
        email_logins::table
            .find(token_hash)
            .filter(email_logins::used_at.is_null())
            .filter(email_logins::tries.lt(max_tries))
            .filter(email_logins::expires_at.gt(now)),
    )
    .set(email_logins::used_at.eq(now))
    .execute(conn)?;
    Ok((spent == 1).then_some(row))
}

/// The newest live pair sent to `email`, if any.
pub fn live_for_address(
    conn: &mut AnyConnection,
    email: &str,
    max_tries: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<EmailLoginRow>> {
    email_logins::table
        .filter(email_logins::email.eq(email))
        .filter(email_logins::used_at.is_null())
        .filter(email_logins::tries.lt(max_tries))
        .filter(email_logins::expires_at.gt(now))
        .order(email_logins::created_at.desc())
        .select(EmailLoginRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, QueryableByName)]
struct Tried {
    #[diesel(sql_type = Nullable<Timestamp>)]
    used_at: Option<NaiveDateTime>,
}

/// What a code did to its pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTry {
    /// Right: the pair is spent.
    Spent,
    /// Wrong: one more try counted.
    Wrong,
    /// The pair was no longer live (spent, dead or expired meanwhile).
    Gone,
}

/// Tries `code_hash` against the live pair `token_hash` in one
/// conditional update: a right code spends the pair, a wrong one counts a
/// try; the comparison happens in the database, on the row it locks.
pub fn try_code(
    conn: &mut AnyConnection,
    token_hash: &str,
    code_hash: &str,
    max_tries: i32,
    now: NaiveDateTime,
) -> QueryResult<CodeTry> {
    // SQLite numbers `$N` parameters in the order they first appear: they
    // appear here in order.
    let tried: Option<Tried> = diesel::sql_query(
        "UPDATE email_logins SET \
         used_at = CASE WHEN code_hash = $1 THEN $2 ELSE used_at END, \
         tries = tries + CASE WHEN code_hash = $1 THEN 0 ELSE 1 END \
         WHERE token_hash = $3 AND used_at IS NULL AND tries < $4 AND expires_at > $2 \
         RETURNING used_at",
    )
    .bind::<Text, _>(code_hash)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(token_hash)
    .bind::<Integer, _>(max_tries)
    .get_result(conn)
    .optional()?;
    Ok(match tried {
        None => CodeTry::Gone,
        Some(Tried { used_at: Some(_) }) => CodeTry::Spent,
        Some(Tried { used_at: None }) => CodeTry::Wrong,
    })
}

/// Wrong codes tried for `email` since `since` (the per-address cap).
pub fn failures_since(
    conn: &mut AnyConnection,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    let total: Option<i64> = email_logins::table
        .filter(email_logins::email.eq(email))
        .filter(email_logins::created_at.gt(since))
        .select(diesel::dsl::sum(email_logins::tries))
        .first(conn)?;
    Ok(total.unwrap_or(0))
}

/// When the oldest pair with a wrong code since `since` was sent.
pub fn oldest_failure_since(
    conn: &mut AnyConnection,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    email_logins::table
        .filter(email_logins::email.eq(email))
        .filter(email_logins::created_at.gt(since))
        .filter(email_logins::tries.gt(0))
        .select(diesel::dsl::min(email_logins::created_at))
        .first(conn)
}

//! Session rows: one per login, carrying the current refresh token id, so a
//! restart forgets neither a logout nor a spent refresh token.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Text, Timestamp};

use super::connection::AnyConnection;
use super::models::{NewSession, SessionRow};
use super::schema::sessions;
use crate::tokens::PairIds;

pub fn insert(conn: &mut AnyConnection, session: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table.find(id).first(conn).optional()
}

/// Moves the session from refresh token `old_jti` to the pair `ids`,
/// remembering `old_jti` and when, and returns the row as it is now. None
/// when `old_jti` is no longer current, the session is revoked, belongs to
/// another user or started before `started_after`: the database settles a
/// race between two rotations (the loser's update matches no row once the
/// winner's commits).
pub fn rotate(conn: &mut AnyConnection, rotation: Rotation<'_>) -> QueryResult<Option<SessionRow>> {
    rotation.get_result(conn).optional()
}

/// One rotation: `rotate`'s UPDATE … RETURNING, written out with a fixed
/// text and a static query id so that PostgreSQL prepares it once per
/// connection. Diesel's update builder marks every UPDATE unsafe to cache (a
/// changeset may skip `None` fields), which had PostgreSQL parse and plan the
/// hottest write of a refresh on every call (issue #19); RETURNING makes the
/// usual refresh one statement instead of a read and a write.
pub struct Rotation<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub old_jti: &'a str,
    pub ids: &'a PairIds,
    pub now: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub started_after: NaiveDateTime,
}

impl QueryId for Rotation<'_> {
    type QueryId = Rotation<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for Rotation<'_> {
    type SqlType = sessions::SqlType;
}

impl<DB> QueryFragment<DB> for Rotation<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    String: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE sessions SET refresh_jti = ");
        out.push_bind_param::<Text, _>(&self.ids.refresh_jti)?;
        out.push_sql(", access_jti = ");
        out.push_bind_param::<Text, _>(&self.ids.access_jti)?;
        out.push_sql(", previous_refresh_jti = ");
        out.push_bind_param::<Text, _>(self.old_jti)?;
        out.push_sql(", rotated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", last_used_at = ");
        out.push_bind_param::<Timestamp, _>(&self.now)?;
        out.push_sql(", expires_at = ");
        out.push_bind_param::<Timestamp, _>(&self.expires_at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(self.id)?;
        out.push_sql(" AND refresh_jti = ");
        out.push_bind_param::<Text, _>(self.old_jti)?;
        out.push_sql(" AND user_id = ");
        out.push_bind_param::<Text, _>(self.user_id)?;
        out.push_sql(" AND created_at > ");
        out.push_bind_param::<Timestamp, _>(&self.started_after)?;
        // The columns in `SessionRow`'s order (the table's).
        out.push_sql(
            " AND revoked_at IS NULL RETURNING id, user_id, refresh_jti, access_jti, \
             previous_refresh_jti, rotated_at, created_at, last_used_at, expires_at, \
             revoked_at, revoked_reason, ip, user_agent, aal, amr, auth_time",
        );
        Ok(())
    }
}

impl RunQueryDsl<AnyConnection> for Rotation<'_> {}

/// Why a session was revoked, as the revocation feed names it (API.md §18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    LogoutAll,
    PasswordChanged,
    PasswordReset,
    Disabled,
    Deleted,
    Reuse,
    Admin,
    SessionLimit,
    Takeover,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
            Self::Reuse => "reuse",
            Self::Admin => "admin",
            Self::SessionLimit => "session_limit",
            Self::Takeover => "takeover",
        }
    }
}

/// Revokes one session; false if it was already revoked or does not exist.
pub fn revoke(
    conn: &mut AnyConnection,
    id: &str,
    reason: RevokeReason,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(now),
        sessions::revoked_reason.eq(reason.as_str()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Marks a live session used, and so locks its row until the transaction
/// ends; false when it is revoked or gone.
pub fn hold_live(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::last_used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes every live session of a user but `keep`; returns their ids.
pub fn revoke_all_for_user(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: Option<&str>,
    reason: RevokeReason,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let ids: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::id.ne(keep.unwrap_or("")))
        .select(sessions::id)
        .load(conn)?;
    if !ids.is_empty() {
        diesel::update(sessions::table.filter(sessions::id.eq_any(&ids)))
            .set((
                sessions::revoked_at.eq(now),
                sessions::revoked_reason.eq(reason.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(ids)
}

/// The user's live sessions, newest first.
pub fn list_active(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .load(conn)
}

/// Revokes the user's live sessions beyond the newest `keep` (by start
/// time, then id); returns their ids, oldest first. Run it in the
/// transaction that inserts a new session, after the user row is locked,
/// so two logins racing each see the other's session.
pub fn revoke_oldest_beyond(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: usize,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    let mut ids: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .select(sessions::id)
        .load(conn)?;
    if ids.len() <= keep {
        return Ok(Vec::new());
    }
    let mut evicted = ids.split_off(keep);
    diesel::update(sessions::table.filter(sessions::id.eq_any(&evicted)))
        .set((
            sessions::revoked_at.eq(now),
            sessions::revoked_reason.eq(RevokeReason::SessionLimit.as_str()),
        ))
        .execute(conn)?;
    evicted.reverse();
    Ok(evicted)
}

/// Sessions revoked since a time, for restoring the in-process store.
pub fn revoked_since(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<Vec<String>> {
    sessions::table
        .filter(sessions::revoked_at.gt(since))
        .select(sessions::id)
        .load(conn)
}

pub fn ids_for_user(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<String>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .select(sessions::id)
        .load(conn)
}

// The revocation feed (API.md §18) reads these.

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

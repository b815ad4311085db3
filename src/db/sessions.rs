//! Session rows: one per login, carrying the current refresh token id, so a
//! restart forgets neither a logout nor a spent refresh token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
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
/// remembering `old_jti` and when. False when `old_jti` is no longer current
/// or the session is revoked: the database settles a race between two
/// rotations (the loser's update matches no row once the winner's commits).
pub fn rotate(
    conn: &mut AnyConnection,
    id: &str,
    old_jti: &str,
    ids: &PairIds,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::refresh_jti.eq(old_jti))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::refresh_jti.eq(&ids.refresh_jti),
        sessions::access_jti.eq(&ids.access_jti),
        sessions::previous_refresh_jti.eq(old_jti),
        sessions::rotated_at.eq(now),
        sessions::last_used_at.eq(now),
        sessions::expires_at.eq(expires_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes one session; false if it was already revoked or does not exist.
pub fn revoke(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Revokes every live session of a user but `keep`; returns their ids.
pub fn revoke_all_for_user(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: Option<&str>,
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
            .set(sessions::revoked_at.eq(now))
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
        .set(sessions::revoked_at.eq(now))
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

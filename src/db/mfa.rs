//! Second factors, recovery codes and the pending second step of a login.
//! Every "use once" rule is one conditional update, so of two racing
//! requests exactly one wins, on any number of instances.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::models::{MfaChallengeRow, MfaFactorRow, NewMfaFactor};
use super::schema::{mfa_challenges, mfa_factors, mfa_recovery_codes, sessions};

pub fn insert_factor(conn: &mut AnyConnection, factor: &NewMfaFactor<'_>) -> QueryResult<()> {
    diesel::insert_into(mfa_factors::table)
        .values(factor)
        .execute(conn)
        .map(drop)
}

pub fn find_factor(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<MfaFactorRow>> {
    mfa_factors::table.find(id).first(conn).optional()
}

/// The user's confirmed factors, oldest first.
pub fn confirmed_factors(
    conn: &mut AnyConnection,
    user_id: &str,
) -> QueryResult<Vec<MfaFactorRow>> {
    mfa_factors::table
        .filter(mfa_factors::user_id.eq(user_id))
        .filter(mfa_factors::confirmed_at.is_not_null())
        .order((mfa_factors::created_at.asc(), mfa_factors::id.asc()))
        .load(conn)
}

/// The kinds of confirmed factor each of these users has (`passkey`,
/// `totp`; each once, sorted), in one query.
pub fn kinds_of_each(
    conn: &mut AnyConnection,
    user_ids: &[&str],
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = mfa_factors::table
        .filter(mfa_factors::user_id.eq_any(user_ids))
        .filter(mfa_factors::confirmed_at.is_not_null())
        .select((mfa_factors::user_id, mfa_factors::kind))
        .distinct()
        .order((mfa_factors::user_id.asc(), mfa_factors::kind.asc()))
        .load(conn)?;
    let mut kinds = std::collections::HashMap::<String, Vec<String>>::new();
    for (user_id, kind) in pairs {
        kinds.entry(user_id).or_default().push(kind);
    }
    Ok(kinds)
}

pub fn delete_unconfirmed(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(
        mfa_factors::table
            .filter(mfa_factors::user_id.eq(user_id))
            .filter(mfa_factors::confirmed_at.is_null()),
    )
    .execute(conn)
}

/// Confirms a pending factor with the time step of the code that proved
/// it; false when it is gone or already confirmed.
pub fn confirm_factor(
    conn: &mut AnyConnection,
    id: &str,
    step: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        mfa_factors::table
            .find(id)
            .filter(mfa_factors::confirmed_at.is_null()),
    )
    .set((
        mfa_factors::confirmed_at.eq(at),
        mfa_factors::last_used_step.eq(step),
        mfa_factors::last_used_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records that a code of time step `step` was accepted; false when a code
/// of this step or a later one was accepted before (a replay).
pub fn use_step(
    conn: &mut AnyConnection,
    id: &str,
    step: i64,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        mfa_factors::table
            .find(id)
            .filter(mfa_factors::confirmed_at.is_not_null())
            .filter(
                mfa_factors::last_used_step
                    .is_null()
                    .or(mfa_factors::last_used_step.lt(step)),
            ),
    )
    .set((
        mfa_factors::last_used_step.eq(step),
        mfa_factors::last_used_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Sets the label of the user's confirmed factor `id`; None when there is
/// no such factor of theirs.
pub fn rename_factor(
    conn: &mut AnyConnection,
    id: &str,
    user_id: &str,
    name: &str,
) -> QueryResult<Option<MfaFactorRow>> {
    let updated = diesel::update(
        mfa_factors::table
            .find(id)
            .filter(mfa_factors::user_id.eq(user_id))
            .filter(mfa_factors::confirmed_at.is_not_null()),
    )
    .set(mfa_factors::name.eq(name))
    .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    find_factor(conn, id)
}

pub fn delete_factor(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(mfa_factors::table.find(id)).execute(conn)? == 1)
}

pub fn delete_all_factors(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(mfa_factors::table.filter(mfa_factors::user_id.eq(user_id))).execute(conn)
}

/// Replaces the user's recovery codes with these hashes.
pub fn replace_recovery_codes(
    conn: &mut AnyConnection,
    user_id: &str,
    hashes: &[String],
    at: NaiveDateTime,
) -> QueryResult<()> {
    delete_recovery_codes(conn, user_id)?;
    for hash in hashes {
        diesel::insert_into(mfa_recovery_codes::table)
            .values((
                mfa_recovery_codes::user_id.eq(user_id),
                mfa_recovery_codes::code_hash.eq(hash),
                mfa_recovery_codes::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_recovery_codes(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(user_id)))
        .execute(conn)
}

/// Spends one recovery code; false when it is not one of the user's
/// unspent codes.
pub fn spend_recovery_code(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        mfa_recovery_codes::table
            .find((user_id, hash))
            .filter(mfa_recovery_codes::used_at.is_null()),
    )
    .set(mfa_recovery_codes::used_at.eq(at))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn recovery_codes_remaining(conn: &mut AnyConnection, user_id: &str) -> QueryResult<i64> {
    mfa_recovery_codes::table
        .filter(mfa_recovery_codes::user_id.eq(user_id))
        .filter(mfa_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn insert_challenge(conn: &mut AnyConnection, challenge: &MfaChallengeRow) -> QueryResult<()> {
    diesel::insert_into(mfa_challenges::table)
        .values(challenge)
        .execute(conn)
        .map(drop)
}

/// A live (unspent, unexpired) challenge.
pub fn find_live_challenge(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<MfaChallengeRow>> {
    mfa_challenges::table
        .find(token_hash)
        .filter(mfa_challenges::used_at.is_null())
        .filter(mfa_challenges::expires_at.gt(now))
        .first(conn)
        .optional()
}

/// Spends a live challenge; false when it was spent or expired meanwhile.
pub fn spend_challenge(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        mfa_challenges::table
            .find(token_hash)
            .filter(mfa_challenges::used_at.is_null())
            .filter(mfa_challenges::expires_at.gt(now)),
    )
    .set(mfa_challenges::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The user's spent or expired challenges (each new login clears them, so
/// a user never has more rows than live logins).
pub fn delete_dead_challenges(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        mfa_challenges::table
            .filter(mfa_challenges::user_id.eq(user_id))
            .filter(
                mfa_challenges::used_at
                    .is_not_null()
                    .or(mfa_challenges::expires_at.le(now)),
            ),
    )
    .execute(conn)
}

pub fn delete_challenges(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(mfa_challenges::table.filter(mfa_challenges::user_id.eq(user_id))).execute(conn)
}

/// Raises a session to `aal2`, from its next refresh.
pub fn raise_session(
    conn: &mut AnyConnection,
    session_id: &str,
    amr: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::aal.eq("aal2"),
        sessions::amr.eq(amr),
        sessions::auth_time.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The factor that holds this WebAuthn credential id, if any.
pub fn find_by_credential_id(
    conn: &mut AnyConnection,
    credential_id: &str,
) -> QueryResult<Option<MfaFactorRow>> {
    mfa_factors::table
        .filter(mfa_factors::credential_id.eq(credential_id))
        .first(conn)
        .optional()
}

/// Records a passkey's use: its credential as updated by the assertion
/// (counter, backup state) and the time, if the stored credential is still
/// `was` (false when another use was recorded since).
pub fn record_passkey_use(
    conn: &mut AnyConnection,
    id: &str,
    was: &str,
    credential: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        mfa_factors::table
            .find(id)
            .filter(mfa_factors::confirmed_at.is_not_null())
            .filter(mfa_factors::secret.eq(was)),
    )
    .set((
        mfa_factors::secret.eq(credential),
        mfa_factors::last_used_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

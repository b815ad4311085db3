//! Refresh-token rotation with reuse detection (API.md §2).
//!
//! The session row is the authority: it holds the current refresh token id,
//! and the one it replaced with the time of that rotation.
//!
//! 1. With Redis, the presented token's id is first marked spent there (the
//!    shared denylist, one atomic script, in the same round trip as the
//!    revocation check). A token spent before, outside the grace window, is
//!    reuse at once.
//! 2. The user comes from the user cache when its version still holds
//!    (`db::user_cache`); then one statement: if the token is the live
//!    session's current one, a move to a new pair (a conditional
//!    UPDATE … RETURNING, so of two racing requests exactly one wins, on any
//!    number of instances). When it matches nothing, the session row says
//!    why: if the token is the one the session just moved on from, within
//!    the grace window, the same successor pair is signed again from the ids
//!    in the row (signing is deterministic): two tabs refreshing at once
//!    both stay logged in. Anything else is reuse: the whole session is
//!    revoked.
//!
//! A refresh that fails before its rotation commits (the database is
//! down: 503) gives the spent mark of step 1 back, so the token works once
//! the database returns.
//!
//! Nothing is kept per refresh in memory: the in-process store needs no
//! denylist, since one instance has one database.

use std::time::Duration;

use chrono::{TimeDelta, Utc};

use crate::api_types::{TokenPair, User};
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::revocation;
use crate::auth::session;
use crate::db::sessions::RevokeReason;
use crate::db::user_cache::LoadedUser;
use crate::db::{AnyConnection, WriteTurn, now, sessions};
use crate::error::{ApiError, TokenKind};
use crate::state::AppState;
use crate::store::Spend;
use crate::tokens::{PairIds, RefreshClaims, TokenError, Tokens};

/// A refresh token's claims, once its signature, type, issuer, audience
/// and expiry hold.
pub fn verify(tokens: &Tokens, token: &str) -> Result<RefreshClaims, ApiError> {
    tokens.verify_refresh(token).map_err(|e| match e {
        TokenError::Expired => ApiError::TokenExpired(TokenKind::Refresh),
        _ => ApiError::InvalidToken(TokenKind::Refresh),
    })
}

pub async fn rotate(
    state: &AppState,
    claims: &RefreshClaims,
    ctx: &RequestContext,
) -> Result<TokenPair, ApiError> {
    let grace = state.settings.tokens.refresh_reuse_grace;
    let now_ms = Utc::now().timestamp_millis();
    let ttl = spent_mark_ttl(claims.exp, now_ms);
    let (access, spend) = state
        .store
        .refresh_state(&claims.sid, &claims.sub, &claims.jti, now_ms, ttl)
        .await?;
    if revocation::is_dead(&access, &claims.sid) {
        return Err(revoked_or_disabled(state, claims).await);
    }
    if let Some(Spend::AlreadySpent { at_ms }) = spend
        && now_ms - at_ms > grace.as_millis() as i64
    {
        return reuse_detected(state, claims, ctx).await;
    }
    let policy = Policy {
        grace,
        refresh_ttl: state.settings.tokens.refresh_ttl,
        session_max_age: state.settings.tokens.session_max_age,
    };
    let decision = match decide(state, claims, access.user_version, policy).await {
        Ok(decision) => decision,
        Err(e) => {
            // No rotation committed (the database failed, or refused the
            // token): a spend this request made is given back, so a 503
            // leaves the session exactly as it was (issue 28).
            if spend == Some(Spend::Fresh) {
                give_back(state, claims, now_ms).await;
            }
            return Err(e);
        }
    };
    match decision {
        Decision::Pair {
            user,
            ids,
            level,
            ends_at,
        } => {
            // Signing is deterministic: the ids the row holds make the pair.
            let mut pair = session::mint_pair(state, &user, &claims.sid, ids, &level)?.pair;
            // Nothing refreshes past the session's absolute lifetime, so the
            // refresh token (and the browser-mode cookie) lives no longer.
            let left = (ends_at - now()).num_seconds().max(0) as u64;
            pair.refresh_expires_in = pair.refresh_expires_in.min(left);
            Ok(pair)
        }
        Decision::Reuse => reuse_detected(state, claims, ctx).await,
    }
}

/// How long the store keeps a token's spent mark: a minute past the token's
/// own expiry (`exp`, in seconds), so the mark outlives the token it covers;
/// at least that minute for a token at the end of its life.
fn spent_mark_ttl(exp: i64, now_ms: i64) -> Duration {
    Duration::from_secs((exp - now_ms / 1000).max(1) as u64 + 60)
}

/// The user, then the rotation's outcome, from the database.
async fn decide(
    state: &AppState,
    claims: &RefreshClaims,
    user_version: Option<i64>,
    policy: Policy,
) -> Result<Decision, ApiError> {
    let user = state
        .db
        .user(&claims.sub, user_version)
        .await?
        .ok_or(ApiError::InvalidToken(TokenKind::Refresh))?;
    let presented = claims.clone();
    state
        .db
        .run_with_turn(move |conn, turn| settle(conn, turn, &presented, policy, &user))
        .await
}

/// Takes back the spent mark this request put on the presented token. If
/// that fails too, the mark stays: the token's next use within the grace
/// window still goes to the session row, after it is reuse.
async fn give_back(state: &AppState, claims: &RefreshClaims, now_ms: i64) {
    if let Err(e) = state.store.unspend_refresh(&claims.jti, now_ms).await {
        tracing::warn!(error = %e, session_id = %claims.sid, "could not give back a refresh token's spend");
    }
}

/// The settings a rotation decides by.
#[derive(Clone, Copy)]
struct Policy {
    grace: Duration,
    refresh_ttl: Duration,
    session_max_age: Duration,
}

enum Decision {
    /// Sign this pair: freshly rotated, or the same successor again.
    Pair {
        user: Box<User>,
        ids: PairIds,
        /// The session's level, as its row holds it now.
        level: session::AuthLevel,
        /// When the session reaches `AUTH_SESSION_MAX_AGE`.
        ends_at: chrono::NaiveDateTime,
    },
    Reuse,
}

/// Decides what the presented token gets, for `user` as the cache or the
/// database gave it (its version was read with the revocation check, so a
/// disable or role change since shows). The usual refresh is one
/// statement, a conditional update, atomic by itself; the row is read only
/// when it matches nothing. Signing happens after, outside the database.
fn settle(
    conn: &mut AnyConnection,
    turn: &WriteTurn,
    claims: &RefreshClaims,
    policy: Policy,
    user: &LoadedUser,
) -> Result<Decision, ApiError> {
    let at = now();
    let (row, roles) = user.as_ref();
    let max_age = TimeDelta::from_std(policy.session_max_age).map_err(ApiError::internal)?;
    let refresh_ttl = TimeDelta::from_std(policy.refresh_ttl).map_err(ApiError::internal)?;
    let user = Box::new(User::from_row(row, roles.clone()));

    // The usual case in one statement: the presented token is the live
    // session's current one. The update's conditions are every check below.
    if !row.disabled {
        let ids = PairIds::new(at);
        let rotated = {
            let _turn = turn.take();
            sessions::rotate(
                conn,
                sessions::Rotation {
                    id: &claims.sid,
                    user_id: &claims.sub,
                    old_jti: &claims.jti,
                    ids: &ids,
                    now: at,
                    expires_at: at + refresh_ttl,
                    started_after: at - max_age,
                },
            )?
        };
        if let Some(session) = rotated {
            return Ok(Decision::Pair {
                user,
                level: session::AuthLevel::of_session(&session),
                ends_at: session.created_at + max_age,
                ids,
            });
        }
    }

    // Otherwise find out why, in the order the answers take precedence.
    let Some(session) = sessions::find(conn, &claims.sid)? else {
        return Err(ApiError::InvalidToken(TokenKind::Refresh));
    };
    // Disabling revokes every session; the user is told why (README, Tokens).
    if row.disabled {
        return Err(ApiError::AccountDisabled);
    }
    if session.revoked_at.is_some() || session.user_id != claims.sub {
        return Err(ApiError::SessionRevoked);
    }
    // Refreshing extends a session, but never past its absolute lifetime.
    let ends_at = session.created_at + max_age;
    if at >= ends_at {
        return Err(ApiError::TokenExpired(TokenKind::Refresh));
    }
    if session.refresh_jti == claims.jti {
        // The update's conditions failed where these checks pass: never
        // expected, but a current token is not reuse. Answer as at the end
        // of the session's lifetime, the one check that compares times.
        return Err(ApiError::TokenExpired(TokenKind::Refresh));
    }
    // The presented token is no longer current: another request rotated it
    // first (the grace window's same pair again), or it is reuse.
    Ok(successor(user, &session, claims, policy.grace, at, ends_at))
}

/// The same pair again for the token the session just moved on from, within
/// the grace window; reuse otherwise.
fn successor(
    user: Box<User>,
    session: &crate::db::models::SessionRow,
    claims: &RefreshClaims,
    grace: Duration,
    at: chrono::NaiveDateTime,
    ends_at: chrono::NaiveDateTime,
) -> Decision {
    let within_grace = session.rotated_at.is_some_and(|rotated| {
        at - rotated <= TimeDelta::from_std(grace).unwrap_or(TimeDelta::zero())
    });
    match (
        &session.previous_refresh_jti,
        &session.access_jti,
        session.rotated_at,
    ) {
        (Some(previous), Some(access_jti), Some(rotated))
            if *previous == claims.jti && within_grace =>
        {
            let ids = PairIds {
                access_jti: access_jti.clone(),
                refresh_jti: session.refresh_jti.clone(),
                iat: rotated.and_utc().timestamp(),
            };
            let level = session::AuthLevel::of_session(session);
            Decision::Pair {
                user,
                ids,
                level,
                ends_at,
            }
        }
        _ => Decision::Reuse,
    }
}

/// A revoked session's refresh answers 403 `account_disabled` when the
/// revocation came from disabling the user, 401 `session_revoked` otherwise.
/// One database read, on the refusal path only.
async fn revoked_or_disabled(state: &AppState, claims: &RefreshClaims) -> ApiError {
    let user_id = claims.sub.clone();
    let disabled = state
        .db
        .run(move |conn| {
            Ok(crate::auth::users::load(conn, &user_id)?.is_some_and(|(row, _)| row.disabled))
        })
        .await;
    match disabled {
        Ok(true) => ApiError::AccountDisabled,
        Ok(false) => ApiError::SessionRevoked,
        Err(e) => e,
    }
}

async fn reuse_detected(
    state: &AppState,
    claims: &RefreshClaims,
    ctx: &RequestContext,
) -> Result<TokenPair, ApiError> {
    tracing::warn!(session_id = %claims.sid, user_id = %claims.sub, "refresh token reuse detected; revoking the session");
    state.metrics.refresh_reuse_detected();
    // Nobody proved who presented the spent token: no actor.
    let event = Event::new(EventType::RefreshReuseDetected).about(&claims.sub);
    state
        .revoker()
        .revoke_session(
            &claims.sid,
            RevokeReason::Reuse,
            ctx,
            event.with("session_revoked", true),
        )
        .await?;
    Err(ApiError::RefreshTokenReused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spent_mark_outlives_its_token_by_a_minute() {
        let now_ms = 1_800_000_000_250;
        let exp = now_ms / 1000 + 3_600;
        assert_eq!(spent_mark_ttl(exp, now_ms), Duration::from_secs(3_660));
        assert_eq!(
            spent_mark_ttl(exp, now_ms + 999),
            Duration::from_secs(3_659)
        );
        // A token at or past its expiry: a second, plus the minute.
        assert_eq!(
            spent_mark_ttl(exp, (exp + 5) * 1000),
            Duration::from_secs(61)
        );
    }
}

//! Refresh-token rotation with reuse detection (API.md §2).
//!
//! 1. The store atomically marks the presented token's `jti` spent.
//! 2. The first spender rotates the session row in the database (a
//!    conditional update on the current `jti`, so the database also refuses a
//!    token that is no longer current, e.g. after a restart of the
//!    in-process store) and keeps the answer in the store for the grace
//!    window.
//! 3. A later spender inside the grace window gets that same answer (two tabs
//!    refreshing at once); after it, the presentation is reuse: the whole
//!    session is revoked.

use std::time::Duration;

use actix_web::web;
use chrono::{TimeDelta, Utc};

use crate::api_types::{TokenPair, User};
use crate::auth::session::PairIds;
use crate::auth::{revocation, session};
use crate::db::{now, sessions};
use crate::error::{ApiError, TokenKind};
use crate::state::AppState;
use crate::store::Spend;
use crate::tokens::{RefreshClaims, TokenError};

/// How long a racing request waits for the winner's answer.
const SUCCESSOR_WAIT: Duration = Duration::from_secs(5);
const SUCCESSOR_POLL: Duration = Duration::from_millis(20);

pub fn verify(state: &AppState, token: &str) -> Result<RefreshClaims, ApiError> {
    state.tokens.verify_refresh(token).map_err(|e| match e {
        TokenError::Expired => ApiError::TokenExpired(TokenKind::Refresh),
        _ => ApiError::InvalidToken(TokenKind::Refresh),
    })
}

pub async fn rotate(
    state: &web::Data<AppState>,
    claims: &RefreshClaims,
) -> Result<TokenPair, ApiError> {
    let access = state.store.access_state(&claims.sid, &claims.sub).await?;
    if access.session_revoked || access.valid_after.is_some_and(|after| claims.iat < after) {
        return Err(ApiError::SessionRevoked);
    }

    let now_ms = Utc::now().timestamp_millis();
    let remaining = Duration::from_secs((claims.exp - now_ms / 1000).max(1) as u64 + 60);
    let ttl = state
        .store
        .denylist_ttl(remaining, state.settings.refresh_reuse_grace);
    let spend = state.store.spend_refresh(&claims.jti, now_ms, ttl).await?;
    match spend {
        Spend::Fresh => rotate_fresh(state, claims).await,
        Spend::AlreadySpent { at_ms } => {
            let grace = state.settings.refresh_reuse_grace.as_millis() as i64;
            if now_ms - at_ms <= grace {
                successor(state, claims).await
            } else {
                reuse_detected(state, claims).await
            }
        }
    }
}

/// What the database said to a fresh rotation.
enum Rotation {
    Rotated(Box<session::MintedPair>),
    /// The presented token is not the session's current one.
    NotCurrent,
}

async fn rotate_fresh(
    state: &web::Data<AppState>,
    claims: &RefreshClaims,
) -> Result<TokenPair, ApiError> {
    // One trip to the blocking pool: read, sign, and move the session on.
    let app = state.clone();
    let presented = claims.clone();
    let rotation = state
        .db
        .run(move |conn| {
            let claims = presented;
            let at = now();
            let session = sessions::find(conn, &claims.sid)?;
            let user = crate::auth::users::load(conn, &claims.sub)?;
            let (Some(session), Some((row, roles))) = (session, user) else {
                return Err(ApiError::InvalidToken(TokenKind::Refresh));
            };
            if session.revoked_at.is_some() || session.user_id != claims.sub {
                return Err(ApiError::SessionRevoked);
            }
            if row.disabled {
                return Err(ApiError::AccountDisabled);
            }
            let user = User::from_row(&row, roles);
            let minted = session::mint_pair(&app, &user, &claims.sid, PairIds::new(at))?;
            let expires_at =
                at + TimeDelta::from_std(app.settings.refresh_ttl).map_err(ApiError::internal)?;
            if !sessions::rotate(
                conn,
                &claims.sid,
                &claims.jti,
                &minted.ids.refresh_jti,
                at,
                expires_at,
            )? {
                return Ok(Rotation::NotCurrent);
            }
            Ok(Rotation::Rotated(Box::new(minted)))
        })
        .await?;
    let minted = match rotation {
        Rotation::Rotated(minted) => minted,
        // The database says this token was spent before (the store may
        // have lost its mark, e.g. an in-process store after a restart).
        Rotation::NotCurrent => return reuse_detected(state, claims).await,
    };
    // Only the ids are kept (a few dozen bytes, not the tokens): a racing
    // request signs the same pair again from them.
    let grace = state
        .settings
        .refresh_reuse_grace
        .max(Duration::from_secs(1));
    state
        .store
        .put_successor(&claims.jti, &minted.ids.encode(), grace)
        .await?;
    Ok(minted.pair)
}

/// Waits for the winning request's ids and signs the same pair again (the
/// user is read afresh; unless it changed in the last seconds, the pair is
/// identical byte for byte).
async fn successor(
    state: &web::Data<AppState>,
    claims: &RefreshClaims,
) -> Result<TokenPair, ApiError> {
    let deadline = tokio::time::Instant::now() + SUCCESSOR_WAIT;
    loop {
        if let Some(raw) = state.store.get_successor(&claims.jti).await? {
            let ids = PairIds::decode(&raw)
                .ok_or_else(|| ApiError::internal("malformed successor record"))?;
            let app = state.clone();
            let (sid, sub) = (claims.sid.clone(), claims.sub.clone());
            return state
                .db
                .run(move |conn| {
                    let (row, roles) = crate::auth::users::load(conn, &sub)?
                        .ok_or(ApiError::InvalidToken(TokenKind::Refresh))?;
                    let user = User::from_row(&row, roles);
                    Ok(session::mint_pair(&app, &user, &sid, ids)?.pair)
                })
                .await;
        }
        if tokio::time::Instant::now() >= deadline {
            // The first use failed part-way; the token is spent regardless.
            return Err(ApiError::InvalidToken(TokenKind::Refresh));
        }
        tokio::time::sleep(SUCCESSOR_POLL).await;
    }
}

async fn reuse_detected(state: &AppState, claims: &RefreshClaims) -> Result<TokenPair, ApiError> {
    tracing::warn!(session_id = %claims.sid, user_id = %claims.sub, "refresh token reuse detected; revoking the session");
    state.metrics.refresh_reuse_detected();
    revocation::revoke_session(state, &claims.sid).await?;
    Err(ApiError::RefreshTokenReused)
}

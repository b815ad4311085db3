//! Revoking sessions: the database row first (it must survive a restart),
//! then the store (which every instance consults on each request).

use chrono::Utc;

use crate::config::Settings;
use crate::db::{Db, now, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Store;

/// Revokes one session. False if it was not live.
pub async fn revoke_session(state: &AppState, session_id: &str) -> Result<bool, ApiError> {
    let id = session_id.to_owned();
    let revoked = state
        .db
        .run(move |conn| Ok(sessions::revoke(conn, &id, now())?))
        .await?;
    state
        .store
        .revoke_sessions(&[session_id.to_owned()], state.settings.refresh_ttl)
        .await?;
    Ok(revoked)
}

/// Pushes already-revoked session ids (from a transaction) to the store.
pub async fn publish(state: &AppState, session_ids: &[String]) -> Result<(), ApiError> {
    Ok(state
        .store
        .revoke_sessions(session_ids, state.settings.refresh_ttl)
        .await?)
}

/// Kills every token the user holds now: every session, and every token
/// issued before this second (logout-all, reset, disable).
pub async fn revoke_everything(state: &AppState, user_id: &str) -> Result<(), ApiError> {
    let id = user_id.to_owned();
    let at = now();
    let revoked = state
        .db
        .transaction(move |conn| {
            let revoked = sessions::revoke_all_for_user(conn, &id, None, at)?;
            users::set_tokens_valid_after(conn, &id, at)?;
            Ok(revoked)
        })
        .await?;
    publish(state, &revoked).await?;
    publish_valid_after(state, user_id, at.and_utc().timestamp()).await
}

pub async fn publish_valid_after(
    state: &AppState,
    user_id: &str,
    unix_secs: i64,
) -> Result<(), ApiError> {
    Ok(state
        .store
        .set_valid_after(user_id, unix_secs, state.settings.refresh_ttl)
        .await?)
}

/// Loads what the database remembers into a fresh in-process store after a
/// restart: sessions revoked and "valid after" times within the last refresh
/// lifetime (older tokens have expired anyway).
pub async fn restore_into(db: &Db, store: &dyn Store, settings: &Settings) -> Result<(), String> {
    let ttl = settings.refresh_ttl;
    let since =
        (Utc::now() - chrono::Duration::from_std(ttl).map_err(|e| e.to_string())?).naive_utc();
    let (revoked, valid_after) = db
        .run(move |conn| {
            Ok((
                sessions::revoked_since(conn, since)?,
                users::with_tokens_valid_after(conn, since)?,
            ))
        })
        .await
        .map_err(|e| e.to_string())?;
    store
        .revoke_sessions(&revoked, ttl)
        .await
        .map_err(|e| e.to_string())?;
    for (user_id, at) in &valid_after {
        store
            .set_valid_after(user_id, at.and_utc().timestamp(), ttl)
            .await
            .map_err(|e| e.to_string())?;
    }
    if !revoked.is_empty() || !valid_after.is_empty() {
        tracing::info!(
            sessions = revoked.len(),
            users = valid_after.len(),
            "restored revocations into the in-process store"
        );
    }
    Ok(())
}

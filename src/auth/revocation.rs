//! Revoking sessions: the database row first (it must survive a restart),
//! then the store (which every instance consults on each request).

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};

use crate::auth::audit::{AuditLog, Event, RequestContext};
use crate::auth::ways_in::{self, Ended, Ending};
use crate::config::Settings;
use crate::db::sessions::RevokeReason;
use crate::db::{Db, now, sessions, users};
use crate::error::ApiError;
use crate::store::{AccessState, Store};

/// Whether the store's answer kills a token of session `session_id`: the
/// session is revoked, or it started at or before the user's "valid after"
/// time. Sessions are compared by when they started (to the millisecond,
/// from their UUIDv7 id), not by a token's `iat` in whole seconds: a token
/// minted in the same second before a revocation dies with it.
pub fn is_dead(access: &AccessState, session_id: &str) -> bool {
    access.session_revoked
        || access
            .valid_after_ms
            .is_some_and(|after| started_ms(session_id).is_none_or(|started| started <= after))
}

/// When a session started: the timestamp of its UUIDv7 id, in unix ms.
pub fn started_ms(session_id: &str) -> Option<i64> {
    let (secs, nanos) = uuid::Uuid::parse_str(session_id)
        .ok()?
        .get_timestamp()?
        .to_unix();
    Some(secs as i64 * 1000 + i64::from(nanos / 1_000_000))
}

/// What revoking needs: the database row first (it must survive a
/// restart), then the store (which every instance consults on each
/// request). Built by `AppState::revoker`.
#[derive(Clone, Copy)]
pub struct Revoker<'a> {
    pub db: &'a Db,
    pub store: &'a dyn Store,
    /// Records what a revocation changed, in its transaction.
    pub audit: &'a AuditLog,
    /// How long the store must remember a revocation ([`remembered_for`]).
    pub remember: Duration,
}

impl Revoker<'_> {
    /// Revokes one session, recording `event` in the same transaction when
    /// it was live. False if it was not live (nothing changed, nothing
    /// recorded).
    pub async fn revoke_session(
        &self,
        session_id: &str,
        reason: RevokeReason,
        ctx: &RequestContext,
        event: Event,
    ) -> Result<bool, ApiError> {
        let id = session_id.to_owned();
        let (audit, ctx) = (self.audit.clone(), ctx.clone());
        let revoked = self
            .db
            .transaction(move |conn| {
                let revoked = sessions::revoke(conn, &id, reason, now())?;
                if revoked {
                    audit.record(conn, &ctx, event.session(&id))?;
                }
                Ok(revoked)
            })
            .await?;
        self.publish(&[session_id.to_owned()]).await?;
        Ok(revoked)
    }

    /// Pushes already-revoked session ids (from a transaction) to the store.
    pub async fn publish(&self, session_ids: &[String]) -> Result<(), ApiError> {
        Ok(self
            .store
            .revoke_sessions(session_ids, self.remember)
            .await?)
    }

    /// Kills every token the user holds now: every session, and every token
    /// issued before this second, and with them the MFA tokens and the
    /// links that could move the account (logout-all, disable:
    /// [`Ending::Secure`]). `event`,
    /// when given, is recorded in the same transaction with the number of
    /// sessions.
    pub async fn revoke_everything(
        &self,
        user_id: &str,
        reason: RevokeReason,
        ctx: &RequestContext,
        event: Option<Event>,
    ) -> Result<(), ApiError> {
        let id = user_id.to_owned();
        let at = now();
        let (audit, ctx) = (self.audit.clone(), ctx.clone());
        let revoked = self
            .db
            .transaction(move |conn| {
                let ended = ways_in::end(conn, &id, Ending::secure(reason), at)?;
                if let Some(event) = event {
                    audit.record(conn, &ctx, event.with("sessions", ended.sessions.len()))?;
                }
                Ok(ended)
            })
            .await?;
        self.publish_ended(user_id, &revoked).await
    }

    /// Publishes what [`ways_in::end`] ended, after its transaction
    /// committed: the revoked sessions, and the "valid after" time when
    /// every token died.
    pub async fn publish_ended(&self, user_id: &str, ended: &Ended) -> Result<(), ApiError> {
        self.publish(&ended.sessions).await?;
        match ended.valid_after {
            Some(at) => self.publish_valid_after(user_id, at).await,
            None => Ok(()),
        }
    }

    /// Pushes a "valid after" time (from a transaction) to the store.
    pub async fn publish_valid_after(
        &self,
        user_id: &str,
        at: NaiveDateTime,
    ) -> Result<(), ApiError> {
        Ok(self
            .store
            .set_valid_after(user_id, at.and_utc().timestamp_millis(), self.remember)
            .await?)
    }
}

/// How long the store remembers a revocation: the access-token lifetime,
/// the verification leeway and a minute. The store answers the access
/// checks of every request; after this every access token a revocation
/// covers has expired. Refresh tokens live longer, but a refresh always
/// reads the session row, which keeps the revocation (a refresh of a
/// session the store forgot is refused there, with the same answer). So
/// the store holds the revocations of the last quarter of an hour, not of
/// the last 30 days.
pub fn remembered_for(settings: &Settings) -> Duration {
    settings.tokens.access_ttl + Duration::from_secs(crate::tokens::LEEWAY_SECS + 60)
}

/// Loads what the database remembers into a fresh in-process store after a
/// restart: sessions revoked, "valid after" times and deleted accounts
/// within [`remembered_for`] (older access tokens have expired anyway).
pub async fn restore_into(db: &Db, store: &dyn Store, settings: &Settings) -> Result<(), String> {
    let ttl = remembered_for(settings);
    let since =
        (Utc::now() - chrono::Duration::from_std(ttl).map_err(|e| e.to_string())?).naive_utc();
    let (revoked, valid_after) = db
        .run(move |conn| {
            let mut valid_after = users::with_tokens_valid_after(conn, since)?;
            valid_after.extend(users::deleted_since(conn, since)?);
            Ok((sessions::revoked_since(conn, since)?, valid_after))
        })
        .await
        .map_err(|e| e.to_string())?;
    store
        .revoke_sessions(&revoked, ttl)
        .await
        .map_err(|e| e.to_string())?;
    for (user_id, at) in &valid_after {
        store
            .set_valid_after(user_id, at.and_utc().timestamp_millis(), ttl)
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

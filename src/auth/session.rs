//! Starting a session at login and minting token pairs.

use chrono::{NaiveDateTime, TimeDelta};

use crate::api_types::{TokenPair, User};
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::revocation::Revoker;
use crate::db::models::{NewSession, SessionRow, UserRow};
use crate::db::sessions::RevokeReason;
use crate::db::{AnyConnection, Db, now, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::{PairIds, Subject, TokenError};

/// Where a login came from, shown in the session list.
pub type ClientInfo = crate::auth::audit::RequestContext;

/// What a session proved, carried into every access token it mints
/// (`aal`, `amr`, `auth_time`) and kept on its row, so a refresh keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthLevel {
    pub aal: &'static str,
    pub amr: Vec<String>,
    pub auth_time: NaiveDateTime,
}

impl AuthLevel {
    /// A password alone.
    pub fn password(at: NaiveDateTime) -> Self {
        Self {
            aal: crate::tokens::AAL1,
            amr: vec!["pwd".into()],
            auth_time: at,
        }
    }

    /// A password and a one-time code (TOTP or recovery code).
    pub fn password_and_otp(at: NaiveDateTime) -> Self {
        Self {
            aal: crate::tokens::AAL2,
            amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
            auth_time: at,
        }
    }

    /// A provider's login (social login, API.md §11).
    pub fn federated(at: NaiveDateTime) -> Self {
        Self {
            aal: crate::tokens::AAL1,
            amr: vec!["fed".into()],
            auth_time: at,
        }
    }

    /// A link or code from a mail (passwordless sign-in, API.md §15).
    pub fn email(at: NaiveDateTime) -> Self {
        Self {
            aal: crate::tokens::AAL1,
            amr: vec!["email".into()],
            auth_time: at,
        }
    }

    /// How the audit log names the first step (`login.succeeded`'s
    /// `method`).
    pub fn method(&self) -> &'static str {
        match self.amr.first().map(String::as_str) {
            Some("email") => "email",
            Some("fed") => "provider",
            Some("hwk" | "swk") => "passkey",
            _ => "password",
        }
    }

    /// A password and a passkey (`hwk`, or `swk` for a synced,
    /// backup-eligible one).
    pub fn password_and_passkey(at: NaiveDateTime, synced: bool) -> Self {
        Self {
            aal: crate::tokens::AAL2,
            amr: vec!["pwd".into(), key_amr(synced).into(), "mfa".into()],
            auth_time: at,
        }
    }

    /// A passkey alone, with user verification (a PIN or biometric on
    /// the device): two factors in one, so `aal2`.
    pub fn passkey(at: NaiveDateTime, synced: bool) -> Self {
        Self {
            aal: crate::tokens::AAL2,
            amr: vec![key_amr(synced).into(), "mfa".into()],
            auth_time: at,
        }
    }

    /// As the session row records it.
    pub fn of_session(row: &SessionRow) -> Self {
        Self {
            aal: if row.aal == crate::tokens::AAL2 {
                crate::tokens::AAL2
            } else {
                crate::tokens::AAL1
            },
            amr: row
                .amr
                .split(',')
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
            auth_time: row.auth_time.unwrap_or(row.created_at),
        }
    }

    /// `amr` as the session row stores it.
    pub fn amr_text(&self) -> String {
        self.amr.join(",")
    }
}

/// RFC 8176: `swk` for a synced (backup-eligible) passkey, `hwk` for one
/// bound to its device.
fn key_amr(synced: bool) -> &'static str {
    if synced { "swk" } else { "hwk" }
}

/// A freshly signed pair and the refresh token's id.
pub struct MintedPair {
    pub pair: TokenPair,
    pub ids: PairIds,
}

fn signing_failed(e: TokenError) -> ApiError {
    ApiError::internal(e)
}

/// Signs an access and a refresh token for `user` in session `session_id`.
pub fn mint_pair(
    state: &AppState,
    user: &User,
    session_id: &str,
    ids: PairIds,
    level: &AuthLevel,
) -> Result<MintedPair, ApiError> {
    let iat = ids.iat;
    let subject = Subject {
        user_id: &user.id,
        email: &user.email,
        email_verified: user.email_verified,
        roles: &user.roles,
        aal: level.aal,
        amr: &level.amr,
        auth_time: level.auth_time.and_utc().timestamp(),
    };
    let (access_token, _) = state
        .tokens
        .issue_access(&subject, session_id, iat, &ids.access_jti)
        .map_err(signing_failed)?;
    state.metrics.token_pair_issued();
    let (refresh_token, _) = state
        .tokens
        .issue_refresh(&user.id, session_id, iat, &ids.refresh_jti)
        .map_err(signing_failed)?;
    Ok(MintedPair {
        pair: TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in: state.tokens.access_ttl().as_secs(),
            refresh_expires_in: state.tokens.refresh_ttl().as_secs(),
            user: user.clone(),
        },
        ids,
    })
}

/// What a login proved, to be re-checked when its session is written.
pub struct ProvenLogin {
    /// The stored hash the password was verified against.
    pub verified_hash: String,
    /// The user's "valid after" time as the login read it.
    pub tokens_valid_after: Option<NaiveDateTime>,
    /// The same password at the configured cost, when the stored hash had
    /// another one.
    pub upgraded_hash: Option<String>,
}

/// Starts a session for a user who just proved their password: records the
/// login, stores the session row, and returns the first token pair.
///
/// bcrypt ran outside any transaction, so a reset, disable or logout-all may
/// have landed meanwhile. The login is recorded by a conditional update on
/// the hash that was verified, the enabled flag and the "valid after" time;
/// if any changed, no session is written. The update also locks the user
/// row (PostgreSQL), so a reset that follows it waits and then revokes the
/// new session with the others. A cost upgrade is written by the same
/// update, so it never puts an old password's hash back over a new one.
pub async fn start(
    state: &AppState,
    row: UserRow,
    roles: Vec<String>,
    client: ClientInfo,
    proven: ProvenLogin,
    second_factor: bool,
) -> Result<TokenPair, ApiError> {
    let at = now();
    let level = if second_factor {
        AuthLevel::password_and_otp(at)
    } else {
        AuthLevel::password(at)
    };
    start_at_level(state, row, roles, client, proven, level).await
}

/// [`start`] with what the login proved spelled out (a provider login's
/// `fed`).
pub async fn start_at_level(
    state: &AppState,
    row: UserRow,
    roles: Vec<String>,
    client: ClientInfo,
    proven: ProvenLogin,
    level: AuthLevel,
) -> Result<TokenPair, ApiError> {
    let (write, pair) = prepare(state, row, roles, client, proven, level)?;
    let evicted = state.db.transaction(move |conn| write.apply(conn)).await?;
    opened(state, pair, evicted).await
}

/// A session about to start: its first pair is signed, its row not yet
/// written. [`SessionWrite::apply`] writes it inside the caller's
/// transaction, so a second step spends its proof (a TOTP step, a recovery
/// code, the `mfa_token`) only together with the session it buys: a
/// failure (503) leaves both as they were (issue 28).
pub(crate) struct SessionWrite {
    session_id: String,
    user_id: String,
    ids: PairIds,
    at: NaiveDateTime,
    expires_at: NaiveDateTime,
    client: ClientInfo,
    proven: ProvenLogin,
    level: AuthLevel,
    max_sessions: usize,
    audit: crate::auth::audit::AuditLog,
}

/// Signs the first pair of a new session for `row` and readies its row.
/// A new session's id (UUIDv7): its time is when the session started, and
/// a session that started at or before the user's "valid after" time is
/// dead (`revocation::is_dead`). A session opened in the same millisecond
/// as the change that set that time (a sign-in right after a handover)
/// takes the next millisecond instead.
fn session_id_after(valid_after: Option<chrono::NaiveDateTime>) -> String {
    let id = uuid::Uuid::now_v7();
    let after = valid_after.map(|t| t.and_utc().timestamp_millis());
    let started = crate::auth::revocation::started_ms(&id.to_string());
    match (after, started) {
        (Some(after), Some(started)) if started <= after => {
            let ms = u64::try_from(after + 1).unwrap_or_default();
            let time = uuid::Timestamp::from_unix(
                uuid::NoContext,
                ms / 1000,
                u32::try_from((ms % 1000) * 1_000_000).unwrap_or_default(),
            );
            uuid::Uuid::new_v7(time).to_string()
        }
        _ => id.to_string(),
    }
}

pub(crate) fn prepare(
    state: &AppState,
    row: UserRow,
    roles: Vec<String>,
    client: ClientInfo,
    proven: ProvenLogin,
    level: AuthLevel,
) -> Result<(SessionWrite, TokenPair), ApiError> {
    let at = level.auth_time;
    let mut user = User::from_row(&row, roles);
    user.last_login_at = Some(at.and_utc());
    let session_id = session_id_after(proven.tokens_valid_after);
    let minted = mint_pair(state, &user, &session_id, PairIds::new(at), &level)?;
    let expires_at =
        at + TimeDelta::from_std(state.settings.tokens.refresh_ttl).map_err(ApiError::internal)?;
    let write = SessionWrite {
        session_id,
        user_id: user.id.clone(),
        ids: minted.ids,
        at,
        expires_at,
        client,
        proven,
        level,
        max_sessions: state.settings.sessions.max_per_user as usize,
        audit: state.audit.clone(),
    };
    Ok((write, minted.pair))
}

impl SessionWrite {
    /// Records the login and writes the session row; returns the sessions
    /// the per-user limit evicted.
    pub(crate) fn apply(self, conn: &mut AnyConnection) -> Result<Vec<String>, ApiError> {
        let Self {
            session_id,
            user_id,
            ids,
            at,
            expires_at,
            client,
            proven,
            level,
            max_sessions,
            audit,
        } = self;
        let still_valid = users::record_login(
            conn,
            &user_id,
            &users::LoginCheck {
                verified_hash: &proven.verified_hash,
                tokens_valid_after: proven.tokens_valid_after,
                upgraded_hash: proven.upgraded_hash.as_deref(),
            },
            at,
        )?;
        if !still_valid {
            return Err(match users::find_by_id(conn, &user_id)? {
                Some(now) if now.disabled => ApiError::AccountDisabled,
                _ => ApiError::InvalidCredentials,
            });
        }
        sessions::insert(
            conn,
            &NewSession {
                id: &session_id,
                user_id: &user_id,
                refresh_jti: &ids.refresh_jti,
                access_jti: &ids.access_jti,
                created_at: at,
                last_used_at: at,
                expires_at,
                ip: client.ip.map(|ip| ip.to_string()).as_deref(),
                user_agent: client.user_agent.as_deref(),
                aal: level.aal,
                amr: &level.amr_text(),
                auth_time: Some(level.auth_time),
            },
        )?;
        let event = Event::new(EventType::LoginSucceeded).by(&user_id);
        audit.record(
            conn,
            &client,
            event.session(&session_id).with("method", level.method()),
        )?;
        // The user row is locked by `record_login` (PostgreSQL) or the
        // writer's turn is held (SQLite): two logins racing each see the
        // other's session here, so the limit holds.
        if max_sessions == 0 {
            return Ok(Vec::new());
        }
        let evicted = sessions::revoke_oldest_beyond(conn, &user_id, max_sessions, at)?;
        for old in &evicted {
            let event = Event::new(EventType::SessionRevoked).about(&user_id);
            let event = event.session(old).with("reason", "session_limit");
            audit.record(conn, &client, event.with("limit", max_sessions))?;
        }
        Ok(evicted)
    }
}

/// After a session's row is committed: the sessions it evicted are
/// published as revoked, and its first pair is handed out.
pub(crate) async fn opened(
    state: &AppState,
    mut pair: TokenPair,
    evicted: Vec<String>,
) -> Result<TokenPair, ApiError> {
    if !evicted.is_empty() {
        state.revoker().publish(&evicted).await?;
        let max_sessions = state.settings.sessions.max_per_user;
        for session_id in &evicted {
            // ASVS 7.4.5: the revocation is a security event.
            tracing::info!(
                event = "auth.session.revoked",
                reason = "session_limit",
                user_id = %pair.user.id,
                session_id = %session_id,
                limit = max_sessions,
                "security event"
            );
        }
    }
    // A session shorter than a refresh token (AUTH_SESSION_MAX_AGE below
    // AUTH_REFRESH_TTL) ends first; the pair says so.
    pair.refresh_expires_in = pair
        .refresh_expires_in
        .min(state.settings.tokens.session_max_age.as_secs());
    Ok(pair)
}

/// The user's live sessions, newest first.
pub async fn list_active(db: &Db, user_id: &str) -> Result<Vec<SessionRow>, ApiError> {
    let user_id = user_id.to_owned();
    db.run(move |conn| Ok(sessions::list_active(conn, &user_id, now())?))
        .await
}

/// Revokes one of the caller's own live sessions; another user's session
/// answers exactly like a missing one (404), and is logged as a refusal.
pub async fn revoke_own(
    revoker: Revoker<'_>,
    user_id: &str,
    session_id: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    let lookup = session_id.to_owned();
    let session = revoker
        .db
        .run(move |conn| Ok(sessions::find(conn, &lookup)?))
        .await?;
    match session {
        Some(s) if s.user_id == user_id && s.revoked_at.is_none() => {
            let event = Event::new(EventType::SessionRevoked).by(user_id);
            let event = event.with("reason", "revoked");
            let reason = RevokeReason::Logout;
            revoker
                .revoke_session(session_id, reason, ctx, event)
                .await?;
            Ok(())
        }
        Some(s) if s.user_id != user_id => Err(ApiError::NotYours("no such session")),
        _ => Err(ApiError::NotFound("no such session")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::revocation::started_ms;

    #[test]
    fn a_session_starts_after_the_valid_after_time() {
        // A "valid after" time not yet passed (the same or a later ms).
        // It starts exactly a millisecond after it.
        let after = chrono::Utc::now() + chrono::Duration::seconds(60);
        let id = session_id_after(Some(after.naive_utc()));
        assert_eq!(started_ms(&id).unwrap(), after.timestamp_millis() + 1);
        // Long past: the id is simply now.
        let past = chrono::Utc::now() - chrono::Duration::seconds(60);
        let id = session_id_after(Some(past.naive_utc()));
        assert!(started_ms(&id).unwrap() >= chrono::Utc::now().timestamp_millis() - 1000);
    }

    #[test]
    fn the_audit_log_names_the_first_step_of_each_sign_in() {
        let at = chrono::Utc::now().naive_utc();
        assert_eq!(AuthLevel::password(at).method(), "password");
        assert_eq!(AuthLevel::password_and_otp(at).method(), "password");
        assert_eq!(
            AuthLevel::password_and_passkey(at, true).method(),
            "password"
        );
        assert_eq!(AuthLevel::federated(at).method(), "provider");
        assert_eq!(AuthLevel::email(at).method(), "email");
        assert_eq!(AuthLevel::passkey(at, false).method(), "passkey");
        assert_eq!(AuthLevel::passkey(at, true).method(), "passkey");
    }
}

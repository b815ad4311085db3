//! Multi-factor authentication (API.md §9): TOTP factors, recovery codes,
//! the second step of a password login, step-up, and the admin reset.
//!
//! Every "accepted once" rule is a conditional update in the database: a
//! TOTP code moves its factor's `last_used_step` forward (a code of that
//! step or an older one is refused after), a recovery code sets its
//! `used_at`, an `mfa_token` its `used_at`. Of two racing requests exactly
//! one wins, however many instances run.

pub mod codes;
pub mod crypto;
mod daily_cap;
pub mod passkey;
pub mod totp;

use crate::auth::audit::{Event, EventType};
use crate::db::sessions::RevokeReason;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;

use crate::api_types::{MfaFactor, MfaFactorList, MfaFactorRef, TokenPair, TotpEnrolment};
use crate::auth::lockout::Reservation;
use crate::auth::roles::{Permission, UsersWrite};
use crate::auth::session::{self, AuthLevel, ClientInfo, ProvenLogin};
use crate::auth::ways_in::{self, Ended, Ending};
use crate::auth::{admin, one_time};
use crate::db::models::{MfaChallengeRow, MfaFactorRow, NewMfaFactor, UserRow};
use crate::db::{AnyConnection, Db, mfa as rows, now, users};
use crate::error::{ApiError, TokenKind};
use crate::mail::{self, MailKind, Recipient};
use crate::state::AppState;
use crate::tokens::AccessClaims;

pub use crypto::MfaKey;

pub const TOTP: &str = "totp";

/// The second step a password login asks for.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The `mfa_token` (only its hash is stored).
    pub token: String,
    pub factors: Vec<MfaFactorRef>,
}

/// What finishes a login's second step.
pub enum Proof<'a> {
    Totp(&'a str),
    RecoveryCode(&'a str),
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn undecryptable(e: crypto::Undecryptable) -> ApiError {
    ApiError::internal(format!(
        "a TOTP secret: {e} (was AUTH_MFA_KEY_FILE replaced?)"
    ))
}

/// 403 `mfa_required` when the user has a confirmed factor and the token
/// is not `aal2` (step-up for password change, factor removal, account
/// deletion).
pub fn require_step_up(conn: &mut AnyConnection, claims: &AccessClaims) -> Result<(), ApiError> {
    if claims.is_aal2() || rows::confirmed_factors(conn, &claims.sub)?.is_empty() {
        Ok(())
    } else {
        Err(ApiError::MfaRequired)
    }
}

/// Records the second step of a password login and returns its token.
pub async fn start_challenge(
    state: &AppState,
    user: &UserRow,
    factors: &[MfaFactorRow],
    client: ClientInfo,
) -> Result<Challenge, ApiError> {
    start_challenge_after(state, user, factors, client, "pwd").await
}

/// [`start_challenge`] after a first step proved otherwise than by a
/// password (`first_amr`: `fed` for a provider login, `email` for a mail),
/// so the session the second step starts says so in `amr`.
pub async fn start_challenge_after(
    state: &AppState,
    user: &UserRow,
    factors: &[MfaFactorRow],
    client: ClientInfo,
    first_amr: &str,
) -> Result<Challenge, ApiError> {
    let (write, challenge) = prepare_challenge(state, user, factors, client, first_amr)?;
    state.db.transaction(move |conn| write.apply(conn)).await?;
    Ok(challenge)
}

/// A second step about to be offered: its token is drawn, its row not yet
/// written. [`ChallengeWrite::apply`] writes it inside the caller's
/// transaction, so a first step that spends a proof (a mailed link or
/// code) spends it only together with the challenge it buys.
pub(crate) struct ChallengeWrite {
    row: MfaChallengeRow,
}

/// Draws the `mfa_token` of a second step for `user`, bound to the
/// "valid after" time and password change time of `user` as given.
pub(crate) fn prepare_challenge(
    state: &AppState,
    user: &UserRow,
    factors: &[MfaFactorRow],
    client: ClientInfo,
    first_amr: &str,
) -> Result<(ChallengeWrite, Challenge), ApiError> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let at = now();
    let row = MfaChallengeRow {
        token_hash: one_time::hash(&token),
        user_id: user.id.clone(),
        password_changed_at: user.password_changed_at,
        tokens_valid_after: user.tokens_valid_after,
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.user_agent,
        created_at: at,
        expires_at: at
            + TimeDelta::from_std(state.settings.mfa.token_ttl).map_err(ApiError::internal)?,
        used_at: None,
        first_amr: first_amr.to_owned(),
    };
    let challenge = Challenge {
        token,
        factors: factors
            .iter()
            .map(|f| MfaFactorRef {
                id: f.id.clone(),
                kind: f.kind.clone(),
            })
            .collect(),
    };
    Ok((ChallengeWrite { row }, challenge))
}

impl ChallengeWrite {
    /// Writes the challenge row (and drops the user's dead ones).
    pub(crate) fn apply(self, conn: &mut AnyConnection) -> Result<(), ApiError> {
        rows::delete_dead_challenges(conn, &self.row.user_id, self.row.created_at)?;
        Ok(rows::insert_challenge(conn, &self.row)?)
    }
}

/// The caller's confirmed factors and unspent recovery codes.
pub async fn list(db: &Db, user_id: &str) -> Result<MfaFactorList, ApiError> {
    let id = user_id.to_owned();
    db.run(move |conn| {
        let factors = rows::confirmed_factors(conn, &id)?;
        Ok(MfaFactorList {
            factors: factors.iter().map(MfaFactor::from_row).collect(),
            recovery_codes_remaining: rows::recovery_codes_remaining(conn, &id)?,
        })
    })
    .await
}

/// Renames one of the caller's confirmed factors: the label is all that
/// changes, so no step-up and no notice (another user's factor, or one not
/// yet confirmed, is 404 like an unknown one).
pub async fn rename(
    db: &Db,
    user_id: &str,
    factor_id: &str,
    raw_name: &str,
) -> Result<MfaFactor, ApiError> {
    let name = crate::auth::text::parse_factor_name(raw_name)
        .map_err(|m| ApiError::validation("name", m))?
        .ok_or_else(|| ApiError::validation("name", "must not be blank"))?;
    let (user_id, factor_id) = (user_id.to_owned(), factor_id.to_owned());
    db.transaction(move |conn| {
        let factor = rows::rename_factor(conn, &factor_id, &user_id, &name)?
            .ok_or(ApiError::NotFound("no such factor"))?;
        Ok(MfaFactor::from_row(&factor))
    })
    .await
}

/// Starts a TOTP enrolment: a new secret, unconfirmed until a code proves
/// the app holds it. The first factor needs a recent login (`auth_time`
/// within `AUTH_REAUTH_MAX_AGE`), another one an `aal2` token. A pending
/// enrolment the user never confirmed is replaced.
pub async fn enrol_totp(
    state: &AppState,
    caller: &AccessClaims,
) -> Result<TotpEnrolment, ApiError> {
    let secret = totp::new_secret();
    let factor_id = uuid::Uuid::now_v7().to_string();
    let sealed = state
        .mfa_key
        .seal(&factor_id, &secret)
        .map_err(undecryptable)?;
    let max_age = state.settings.mfa.reauth_max_age.as_secs() as i64;
    let recent = chrono::Utc::now().timestamp() - caller.auth_time <= max_age;
    let (user_id, aal2, id) = (caller.sub.clone(), caller.is_aal2(), factor_id.clone());
    let email = state
        .db
        .transaction(move |conn| {
            let user = users::find_by_id(conn, &user_id)?.ok_or(ApiError::Unauthorized)?;
            let has_factor = !rows::confirmed_factors(conn, &user_id)?.is_empty();
            if has_factor && !aal2 {
                return Err(ApiError::MfaRequired);
            }
            if !has_factor && !recent {
                return Err(ApiError::ReauthenticationRequired);
            }
            rows::delete_unconfirmed(conn, &user_id)?;
            rows::insert_factor(
                conn,
                &NewMfaFactor {
                    id: &id,
                    user_id: &user_id,
                    kind: TOTP,
                    name: None,
                    secret: &sealed,
                    created_at: now(),
                    confirmed_at: None,
                    credential_id: None,
                },
            )?;
            Ok(user.email)
        })
        .await?;
    Ok(TotpEnrolment {
        otpauth_uri: totp::otpauth_uri(&state.settings.mail.product_name, &email, &secret),
        secret: totp::base32(&secret),
        factor_id,
    })
}

/// Confirms a pending TOTP factor with a code from the app. The first
/// factor returns the recovery codes (Some); the caller's session becomes
/// `aal2` from its next refresh; a notice is mailed. A wrong code is 422
/// `invalid_mfa_code` and changes nothing.
pub async fn confirm_totp(
    state: &AppState,
    caller: &AccessClaims,
    factor_id: &str,
    code: &str,
    end_other_sessions: bool,
    ctx: &crate::auth::audit::RequestContext,
) -> Result<Option<Vec<String>>, ApiError> {
    let (audit, recorded) = (state.audit.clone(), ctx.clone());
    let key = state.mfa_key.clone();
    let settings = state.settings.clone();
    let claims = caller.clone();
    let (id, code) = (factor_id.to_owned(), code.to_owned());
    let (recovery, ended) = state
        .db
        .transaction(move |conn| {
            let user = users::find_by_id(conn, &claims.sub)?.ok_or(ApiError::Unauthorized)?;
            let factor = rows::find_factor(conn, &id)?
                .filter(|f| f.user_id == claims.sub && f.confirmed_at.is_none())
                .ok_or(ApiError::NotFound("no such pending factor"))?;
            let first = rows::confirmed_factors(conn, &claims.sub)?.is_empty();
            if !first && !claims.is_aal2() {
                return Err(ApiError::MfaRequired);
            }
            let secret = key
                .open(&factor.id, &factor.secret)
                .map_err(undecryptable)?;
            let step = totp::matching_step(&secret, &code, unix_now())
                .ok_or(ApiError::InvalidMfaCode { enrolling: true })?;
            let at = now();
            ways_in::hold_session(conn, &claims.sid, at)?;
            if !rows::confirm_factor(conn, &factor.id, step, at)? {
                return Err(ApiError::NotFound("no such pending factor"));
            }
            let recovery = if first {
                let fresh = codes::generate();
                let hashes: Vec<String> = fresh.iter().map(|c| codes::hash(c)).collect();
                rows::replace_recovery_codes(conn, &claims.sub, &hashes, at)?;
                Some(fresh)
            } else {
                None
            };
            let level = AuthLevel::password_and_otp(at);
            rows::raise_session(conn, &claims.sid, &level.amr_text(), at)?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::MfaFactorAdded,
            )?;
            let event = Event::new(EventType::MfaEnrolled).by(&claims.sub);
            let event = event
                .session(&claims.sid)
                .with("factor_id", factor.id.as_str());
            audit.record(conn, &recorded, event.with("type", factor.kind.as_str()))?;
            let ended = end_others(conn, &claims, end_other_sessions, at)?;
            Ok((recovery, ended))
        })
        .await?;
    state.mail_wakeup.notify_one();
    state.revoker().publish_ended(&caller.sub, &ended).await?;
    Ok(recovery)
}

/// Ends the caller's other sessions when asked, as a password change does
/// (ASVS 7.4.3: adding or removing a factor offers it).
pub(crate) fn end_others(
    conn: &mut AnyConnection,
    caller: &AccessClaims,
    asked: bool,
    at: chrono::NaiveDateTime,
) -> Result<Ended, ApiError> {
    if !asked {
        return Ok(Ended::default());
    }
    let ending = Ending::Secure {
        keep_session: Some(&caller.sid),
        reason: RevokeReason::LogoutAll,
    };
    ways_in::end(conn, &caller.sub, ending, at)
}

/// Removes one of the caller's factors (`aal2` while they have MFA). The
/// last confirmed factor takes the recovery codes with it.
pub async fn remove(
    state: &AppState,
    caller: &AccessClaims,
    factor_id: &str,
    end_other_sessions: bool,
    ctx: &crate::auth::audit::RequestContext,
) -> Result<(), ApiError> {
    let (audit, recorded) = (state.audit.clone(), ctx.clone());
    let settings = state.settings.clone();
    let claims = caller.clone();
    let id = factor_id.to_owned();
    let (mailed, ended) = state
        .db
        .transaction(move |conn| {
            let user = users::find_by_id(conn, &claims.sub)?.ok_or(ApiError::Unauthorized)?;
            let factor = rows::find_factor(conn, &id)?
                .filter(|f| f.user_id == claims.sub)
                .ok_or(ApiError::NotFound("no such factor"))?;
            require_step_up(conn, &claims)?;
            rows::delete_factor(conn, &factor.id)?;
            if factor.confirmed_at.is_none() {
                return Ok((false, Ended::default()));
            }
            if rows::confirmed_factors(conn, &claims.sub)?.is_empty() {
                rows::delete_recovery_codes(conn, &claims.sub)?;
            }
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::MfaFactorRemoved,
            )?;
            let event = Event::new(EventType::MfaRemoved).by(&claims.sub);
            let event = event
                .session(&claims.sid)
                .with("factor_id", factor.id.as_str())
                .with("type", factor.kind.as_str());
            audit.record(conn, &recorded, event.with("reason", "owner"))?;
            let ended = end_others(conn, &claims, end_other_sessions, now())?;
            Ok((true, ended))
        })
        .await?;
    if mailed {
        state.mail_wakeup.notify_one();
    }
    state.revoker().publish_ended(&caller.sub, &ended).await
}

/// A new set of recovery codes (`aal2`); the old ones stop working.
pub async fn regenerate_codes(
    state: &AppState,
    caller: &AccessClaims,
) -> Result<Vec<String>, ApiError> {
    if !caller.is_aal2() {
        return Err(ApiError::MfaRequired);
    }
    let (user_id, session_id) = (caller.sub.clone(), caller.sid.clone());
    state
        .db
        .transaction(move |conn| {
            if rows::confirmed_factors(conn, &user_id)?.is_empty() {
                return Err(ApiError::Conflict("enrol a second factor first"));
            }
            let at = now();
            ways_in::hold_session(conn, &session_id, at)?;
            let fresh = codes::generate();
            let hashes: Vec<String> = fresh.iter().map(|c| codes::hash(c)).collect();
            rows::replace_recovery_codes(conn, &user_id, &hashes, at)?;
            Ok(fresh)
        })
        .await
}

/// The live second step with this `mfa_token` hash, its user and roles;
/// 401 `invalid_token` when it is spent, expired, unknown, or no longer
/// bound to the login that issued it.
pub(crate) async fn live_challenge(
    db: &Db,
    token_hash: &str,
) -> Result<(MfaChallengeRow, UserRow, Vec<String>), ApiError> {
    let lookup = token_hash.to_owned();
    let (challenge, row, roles) = db
        .run(move |conn| {
            let challenge = rows::find_live_challenge(conn, &lookup, now())?
                .ok_or(ApiError::InvalidToken(TokenKind::Mfa))?;
            let (row, roles) = crate::auth::users::load(conn, &challenge.user_id)?
                .ok_or(ApiError::InvalidToken(TokenKind::Mfa))?;
            Ok((challenge, row, roles))
        })
        .await?;
    // Bound to the login that issued it: a password change or a
    // logout-all since then ends it.
    if row.password_changed_at != challenge.password_changed_at
        || row.tokens_valid_after != challenge.tokens_valid_after
    {
        return Err(ApiError::InvalidToken(TokenKind::Mfa));
    }
    Ok((challenge, row, roles))
}

/// Whether the caller may enrol a factor now: another one needs `aal2`,
/// the first a recent login. True when it would be the first.
pub(crate) fn may_enrol(
    conn: &mut AnyConnection,
    user_id: &str,
    aal2: bool,
    recent: bool,
) -> Result<bool, ApiError> {
    let first = rows::confirmed_factors(conn, user_id)?.is_empty();
    if !first && !aal2 {
        return Err(ApiError::MfaRequired);
    }
    if first && !recent {
        return Err(ApiError::ReauthenticationRequired);
    }
    Ok(first)
}

/// Whether `auth_time` is within `AUTH_REAUTH_MAX_AGE`.
pub(crate) fn recently_authenticated(state: &AppState, caller: &AccessClaims) -> bool {
    let max_age = state.settings.mfa.reauth_max_age.as_secs() as i64;
    chrono::Utc::now().timestamp() - caller.auth_time <= max_age
}

enum Verdict {
    /// Right; the sessions the new one evicted.
    Right(Vec<String>),
    Wrong,
}

/// The second step of a password login: a TOTP code or a recovery code
/// against the `mfa_token`. A wrong code counts toward the account's
/// lockout (reserved first, so parallel guesses never get more than the
/// threshold checked) and leaves the token alive; the first right one
/// spends it and starts an `aal2` session, in the same transaction: a
/// failure leaves code and token as they were.
pub async fn verify_login(
    state: &AppState,
    mfa_token: &str,
    proof: Proof<'_>,
) -> Result<TokenPair, ApiError> {
    if mfa_token.is_empty() || mfa_token.len() > 128 {
        return Err(ApiError::InvalidToken(TokenKind::Mfa));
    }
    let token_hash = one_time::hash(mfa_token);
    let (challenge, row, roles) = live_challenge(&state.db, &token_hash).await?;
    let reservation = state.lockout().reserve(&row.email).await?;
    let client = ClientInfo {
        ip: challenge.ip.as_deref().and_then(|ip| ip.parse().ok()),
        user_agent: challenge.user_agent.clone(),
    };
    let (audit, recorded) = (state.audit.clone(), client.clone());
    let key = state.mfa_key.clone();
    let settings = state.settings.clone();
    let (user_id, owner) = (row.id.clone(), row.clone());
    let (kind, given) = match proof {
        Proof::Totp(code) => (TOTP, code.to_owned()),
        Proof::RecoveryCode(code) => ("recovery_code", code.to_owned()),
    };
    let cap = state.settings.mfa.max_failures_per_day;
    // A disabled account's right code gets no session (403 below).
    let (session, pair) = if row.disabled {
        (None, None)
    } else {
        let level = AuthLevel::password_and_otp;
        let (write, pair) = prepare_session(state, row.clone(), roles, &challenge, level)?;
        (Some(write), Some(pair))
    };
    let judged = state
        .db
        .transaction(move |conn| {
            let at = now();
            daily_cap::ensure_under(conn, cap, &user_id, at)?;
            let right = if kind == TOTP {
                let mut right = false;
                for factor in rows::confirmed_factors(conn, &user_id)? {
                    if factor.kind != TOTP {
                        continue;
                    }
                    let secret = key
                        .open(&factor.id, &factor.secret)
                        .map_err(undecryptable)?;
                    if let Some(step) = totp::matching_step(&secret, &given, unix_now())
                        && rows::use_step(conn, &factor.id, step, at)?
                    {
                        right = true;
                        break;
                    }
                }
                right
            } else {
                let spent = rows::spend_recovery_code(conn, &user_id, &codes::hash(&given), at)?;
                if spent {
                    let remaining = rows::recovery_codes_remaining(conn, &user_id)?;
                    mail::enqueue(
                        conn,
                        &settings,
                        &Recipient::user(&owner),
                        MailKind::RecoveryCodeUsed { remaining },
                    )?;
                    let event = Event::new(EventType::MfaRecoveryCodeUsed).by(&user_id);
                    audit.record(conn, &recorded, event.with("remaining", remaining))?;
                }
                spent
            };
            if !right {
                daily_cap::note_failure(conn, &settings, cap, &owner, at)?;
                return Ok(Verdict::Wrong);
            }
            // Spent by the first success; a racing one rolls its code back.
            if !rows::spend_challenge(conn, &token_hash, at)? {
                return Err(ApiError::InvalidToken(TokenKind::Mfa));
            }
            Ok(Verdict::Right(match session {
                Some(session) => session.apply(conn)?,
                None => Vec::new(),
            }))
        })
        .await;
    let evicted = match judged {
        Ok(Verdict::Right(evicted)) => {
            succeeded(state, &row.email, reservation).await;
            evicted
        }
        Ok(Verdict::Wrong) => {
            state.mail_wakeup.notify_one();
            state.lockout().failed(&row.email, reservation).await?;
            return Err(ApiError::InvalidMfaCode { enrolling: false });
        }
        Err(e) => {
            state.lockout().not_checked(&row.email, reservation).await;
            return Err(e);
        }
    };
    state.mail_wakeup.notify_one();
    match pair {
        Some(pair) => session::opened(state, pair, evicted).await,
        None => Err(ApiError::AccountDisabled),
    }
}

/// A right second step resets the lockout count. Its session is committed
/// already: a store failure here is logged, not answered (the count lapses
/// by itself), so the client still gets the pair it bought.
pub(crate) async fn succeeded(state: &AppState, email: &str, reservation: Reservation) {
    if let Err(e) = state.lockout().succeeded(email, reservation).await {
        tracing::warn!(error = %e, "could not reset the lockout count after a second step");
    }
}

/// The session a finished second step starts, with the client and the
/// "valid after" time the password login saw: signed now, written by
/// [`session::SessionWrite::apply`] in the transaction that spends the
/// proof.
pub(crate) fn prepare_session(
    state: &AppState,
    row: UserRow,
    roles: Vec<String>,
    challenge: &MfaChallengeRow,
    level: impl FnOnce(chrono::NaiveDateTime) -> AuthLevel,
) -> Result<(session::SessionWrite, TokenPair), ApiError> {
    let client = ClientInfo {
        ip: challenge.ip.as_deref().and_then(|ip| ip.parse().ok()),
        user_agent: challenge.user_agent.clone(),
    };
    let proven = ProvenLogin {
        verified_hash: row.password_hash.clone(),
        tokens_valid_after: challenge.tokens_valid_after,
        upgraded_hash: None,
    };
    let mut level = level(now());
    // The first step was a provider's login or a mail (`fed`, `email`),
    // not a password.
    if matches!(challenge.first_amr.as_str(), "fed" | "email") {
        for method in &mut level.amr {
            if method == "pwd" {
                challenge.first_amr.clone_into(method);
            }
        }
    }
    session::prepare(state, row, roles, client, proven, level)
}

/// An admin's reset (a lost phone): every factor, recovery code and
/// pending login step goes, every session ends, and the user is told.
pub async fn admin_reset(
    state: &AppState,
    caller: &AccessClaims,
    user_id: &str,
    ctx: &crate::auth::audit::RequestContext,
) -> Result<(), ApiError> {
    let (grants, checked, target) = (state.roles.clone(), caller.clone(), user_id.to_owned());
    let settings = state.settings.clone();
    let (audit, recorded) = (state.audit.clone(), ctx.clone());
    state
        .db
        .transaction(move |conn| {
            admin::ensure_caller_holds(&grants, conn, &checked, UsersWrite::NAME)?;
            let user =
                users::find_by_id(conn, &target)?.ok_or(ApiError::NotFound("no such user"))?;
            rows::delete_all_factors(conn, &target)?;
            rows::delete_recovery_codes(conn, &target)?;
            rows::delete_challenges(conn, &target)?;
            mail::enqueue(conn, &settings, &Recipient::user(&user), MailKind::MfaReset)?;
            let event = Event::new(EventType::MfaRemoved).actor(&checked.sub);
            audit.record(
                conn,
                &recorded,
                event.about(&target).with("reason", "admin_reset"),
            )?;
            Ok(())
        })
        .await?;
    state.mail_wakeup.notify_one();
    let reason = RevokeReason::Admin;
    state
        .revoker()
        .revoke_everything(user_id, reason, ctx, None)
        .await
}

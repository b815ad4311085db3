//! Passkeys (WebAuthn, API.md §9): registration as a factor, the second
//! step of a password login, and passwordless login with a discoverable
//! credential.
//!
//! Each ceremony's server state (`webauthn-rs`'s registration or
//! authentication state, holding the challenge) is kept in the store under
//! a random `challenge_id` for 5 minutes and taken (read and deleted in one
//! step) by the finish call, so a challenge is answered once, on any
//! instance. A passkey is an `mfa_factors` row of kind `passkey`; its
//! `secret` column holds the credential (a public key and its counter) as
//! JSON, its `credential_id` the WebAuthn credential id, unique across
//! users.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    Uuid, Webauthn, WebauthnBuilder,
};

use super::{codes, live_challenge, may_enrol, prepare_session, recently_authenticated, succeeded};
use crate::api_types::{MfaFactor, PasskeyCeremony, PasskeyRegistered, TokenPair};
use crate::auth::one_time;
use crate::auth::session::{self, AuthLevel, ClientInfo, ProvenLogin};
use crate::config::MfaSettings;
use crate::db::models::{NewMfaFactor, UserRow};
use crate::db::{AnyConnection, mfa as rows, now, users};
use crate::error::{ApiError, TokenKind};
use crate::mail::{self, MailKind, Recipient};
use crate::state::AppState;
use crate::store::{Store, keys};
use crate::tokens::AccessClaims;

pub const PASSKEY: &str = "passkey";

/// How long a ceremony may take.
const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// A ceremony in progress, as kept in the store.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Pending {
    Register {
        user_id: String,
        state: PasskeyRegistration,
    },
    SecondStep {
        mfa_token_hash: String,
        state: PasskeyAuthentication,
    },
    Passwordless {
        state: DiscoverableAuthentication,
    },
}

/// The relying party of `AUTH_WEBAUTHN_RP_ID` / `AUTH_WEBAUTHN_ORIGINS`
/// (checked against each other when the settings were read).
pub fn relying_party(settings: &MfaSettings, name: &str) -> Result<Webauthn, ApiError> {
    let (first, others) = settings
        .webauthn_origins
        .split_first()
        .ok_or_else(|| ApiError::internal("no WebAuthn origin configured"))?;
    let mut builder = WebauthnBuilder::new(&settings.webauthn_rp_id, first)
        .map_err(ApiError::internal)?
        .rp_name(name);
    for origin in others {
        builder = builder.append_allowed_origin(origin);
    }
    builder.build().map_err(ApiError::internal)
}

fn rp(state: &AppState) -> Result<Webauthn, ApiError> {
    relying_party(&state.settings.mfa, &state.settings.mail.product_name)
}

/// A credential id as the `credential_id` column holds it.
fn credential_key(id: &CredentialID) -> String {
    URL_SAFE_NO_PAD.encode(id.as_ref())
}

/// Whether a credential is synced (backup eligible): `swk`, else `hwk`.
fn synced(passkey: &Passkey) -> bool {
    serde_json::to_value(passkey)
        .ok()
        .and_then(|v| v["cred"]["backup_eligible"].as_bool())
        .unwrap_or(false)
}

fn stored(passkey: &Passkey) -> Result<String, ApiError> {
    serde_json::to_string(passkey).map_err(ApiError::internal)
}

fn unknown_challenge() -> ApiError {
    ApiError::InvalidToken(TokenKind::OneTime)
}

async fn park(store: &dyn Store, pending: &Pending) -> Result<String, ApiError> {
    let id = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
    let json = serde_json::to_string(pending).map_err(ApiError::internal)?;
    store
        .put(&keys::webauthn_challenge(&id), &json, CEREMONY_TTL)
        .await?;
    Ok(id)
}

/// Takes a ceremony out of the store: 400 `invalid_token` when it is
/// unknown, expired or already answered.
async fn take(store: &dyn Store, challenge_id: &str) -> Result<(Pending, Taken), ApiError> {
    if challenge_id.is_empty() || challenge_id.len() > 64 {
        return Err(unknown_challenge());
    }
    let key = keys::webauthn_challenge(challenge_id);
    let raw = store.take(&key).await?.ok_or_else(unknown_challenge)?;
    let pending = serde_json::from_str(&raw).map_err(|_| unknown_challenge())?;
    Ok((pending, Taken { key, raw }))
}

/// A ceremony taken out of the store, to give back if the answer to it
/// could not be judged.
struct Taken {
    key: String,
    raw: String,
}

impl Taken {
    /// When `outcome` is a 503 or a 500 (a backing service failed, and
    /// whatever the answer changed was rolled back), the ceremony goes back
    /// into the store: the same answer may be sent again (issue 28). A
    /// judged answer, right or wrong, has spent it.
    async fn give_back_unless_judged<T>(self, store: &dyn Store, outcome: &Result<T, ApiError>) {
        if !matches!(
            outcome,
            Err(ApiError::ServiceUnavailable(_) | ApiError::Internal { .. })
        ) {
            return;
        }
        if let Err(e) = store.put_new(&self.key, &self.raw, CEREMONY_TTL).await {
            tracing::warn!(error = %e, "could not give back a passkey ceremony");
        }
    }
}

fn ceremony<T: Serialize>(challenge_id: String, options: &T) -> Result<PasskeyCeremony, ApiError> {
    Ok(PasskeyCeremony {
        challenge_id,
        options: serde_json::to_value(options).map_err(ApiError::internal)?,
    })
}

fn parse<T: serde::de::DeserializeOwned>(credential: &serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(credential.clone()).map_err(|e| {
        ApiError::validation(
            "credential",
            format!("is not a WebAuthn PublicKeyCredential: {e}"),
        )
    })
}

fn user_handle(user_id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(user_id).map_err(ApiError::internal)
}

/// The user's confirmed passkeys.
fn passkeys_of(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<Passkey>, ApiError> {
    rows::confirmed_factors(conn, user_id)?
        .iter()
        .filter(|f| f.kind == PASSKEY)
        .map(|f| serde_json::from_str(&f.secret).map_err(ApiError::internal))
        .collect()
}

/// Starts registering a passkey for the caller, under the rules of any
/// enrolment (the first factor needs a recent login, another one `aal2`).
/// The user's passkeys are excluded, so one authenticator is not
/// registered twice.
pub async fn start_registration(
    state: &AppState,
    caller: &AccessClaims,
) -> Result<PasskeyCeremony, ApiError> {
    let recent = recently_authenticated(state, caller);
    let (user_id, aal2) = (caller.sub.clone(), caller.is_aal2());
    let (user, existing) = state
        .db
        .run(move |conn| {
            let user = users::find_by_id(conn, &user_id)?.ok_or(ApiError::Unauthorized)?;
            may_enrol(conn, &user_id, aal2, recent)?;
            Ok((user, passkeys_of(conn, &user_id)?))
        })
        .await?;
    let exclude: Vec<CredentialID> = existing.iter().map(|p| p.cred_id().clone()).collect();
    let (options, registration) = rp(state)?
        .start_passkey_registration(
            user_handle(&user.id)?,
            &user.email,
            &user.email,
            (!exclude.is_empty()).then_some(exclude),
        )
        .map_err(ApiError::internal)?;
    let id = park(
        state.store.as_ref(),
        &Pending::Register {
            user_id: user.id,
            state: registration,
        },
    )
    .await?;
    let mut started = ceremony(id, &options)?;
    // webauthn-rs 0.5 asks for a server-side credential (`residentKey`
    // "discouraged"); passwordless login needs a discoverable one, so ask
    // for it where the authenticator can. Residency is the authenticator's
    // choice and nothing the server verifies, so this changes no check.
    if let Some(selection) = started
        .options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "preferred".into());
    }
    Ok(started)
}

/// Finishes a registration: the authenticator's answer must match the
/// challenge, the relying party and an allowed origin, and carry user
/// verification (else 422 `invalid_mfa_code`). The passkey is confirmed at
/// once; the first factor brings the recovery codes; the caller's session
/// becomes `aal2` from its next refresh; a notice is mailed.
pub async fn finish_registration(
    state: &AppState,
    caller: &AccessClaims,
    challenge_id: &str,
    credential: &serde_json::Value,
    name: Option<&str>,
    end_other_sessions: bool,
) -> Result<PasskeyRegistered, ApiError> {
    let response: RegisterPublicKeyCredential = parse(credential)?;
    let name = match name {
        Some(raw) => crate::auth::text::parse_factor_name(raw)
            .map_err(|m| ApiError::validation("name", m))?,
        None => None,
    };
    let (pending, taken) = take(state.store.as_ref(), challenge_id).await?;
    let Pending::Register {
        user_id,
        state: registration,
    } = pending
    else {
        return Err(unknown_challenge());
    };
    if user_id != caller.sub {
        return Err(unknown_challenge());
    }
    let passkey = rp(state)?
        .finish_passkey_registration(&response, &registration)
        .map_err(|e| {
            tracing::info!(error = %e, "passkey registration refused");
            ApiError::InvalidMfaCode { enrolling: true }
        })?;
    let credential_id = credential_key(passkey.cred_id());
    let secret = stored(&passkey)?;
    let is_synced = synced(&passkey);
    let recent = recently_authenticated(state, caller);
    let settings = state.settings.clone();
    let claims = caller.clone();
    let factor_id = uuid::Uuid::now_v7().to_string();
    let registered = state
        .db
        .transaction(move |conn| {
            let user = users::find_by_id(conn, &claims.sub)?.ok_or(ApiError::Unauthorized)?;
            let first = may_enrol(conn, &claims.sub, claims.is_aal2(), recent)?;
            if rows::find_by_credential_id(conn, &credential_id)?.is_some() {
                return Err(ApiError::Conflict("this passkey is already registered"));
            }
            let at = now();
            crate::auth::ways_in::hold_session(conn, &claims.sid, at)?;
            rows::insert_factor(
                conn,
                &NewMfaFactor {
                    id: &factor_id,
                    user_id: &claims.sub,
                    kind: PASSKEY,
                    name: name.as_deref(),
                    secret: &secret,
                    created_at: at,
                    confirmed_at: Some(at),
                    credential_id: Some(&credential_id),
                },
            )?;
            let recovery = if first {
                let fresh = codes::generate();
                let hashes: Vec<String> = fresh.iter().map(|c| codes::hash(c)).collect();
                rows::replace_recovery_codes(conn, &claims.sub, &hashes, at)?;
                Some(fresh)
            } else {
                None
            };
            let level = AuthLevel::password_and_passkey(at, is_synced);
            rows::raise_session(conn, &claims.sid, &level.amr_text(), at)?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::MfaFactorAdded,
            )?;
            let row = rows::find_factor(conn, &factor_id)?
                .ok_or_else(|| ApiError::internal("a passkey vanished on insert"))?;
            let ended = super::end_others(conn, &claims, end_other_sessions, at)?;
            let registered = PasskeyRegistered {
                factor: MfaFactor::from_row(&row),
                recovery_codes: recovery,
            };
            Ok((registered, ended))
        })
        .await;
    taken
        .give_back_unless_judged(state.store.as_ref(), &registered)
        .await;
    let (registered, ended) = registered?;
    state.mail_wakeup.notify_one();
    state.revoker().publish_ended(&caller.sub, &ended).await?;
    Ok(registered)
}

/// Records a successful assertion on the user's passkey (new counter and
/// backup state, last use). False when the credential is not (or no
/// longer) one of this user's passkeys.
fn record_use(
    conn: &mut AnyConnection,
    user_id: &str,
    result: &AuthenticationResult,
) -> Result<bool, ApiError> {
    let Some(factor) = rows::find_by_credential_id(conn, &credential_key(result.cred_id()))?
        .filter(|f| f.user_id == user_id && f.kind == PASSKEY && f.confirmed_at.is_some())
    else {
        return Ok(false);
    };
    // The ceremony checked the counter against the credential as it was
    // when it started; another ceremony may have recorded a use since.
    // Compare with the row as it is now, and write only if it is still
    // that row, so two overlapping assertions with one counter cannot both
    // pass (a cloned authenticator).
    if !counter_moved_on(&factor.secret, result.counter())? {
        tracing::warn!(factor_id = %factor.id, "passkey counter did not increase: refused");
        return Ok(false);
    }
    let mut passkey: Passkey = serde_json::from_str(&factor.secret).map_err(ApiError::internal)?;
    passkey.update_credential(result);
    Ok(rows::record_passkey_use(
        conn,
        &factor.id,
        &factor.secret,
        &stored(&passkey)?,
        now(),
    )?)
}

/// WebAuthn §6.1.1: when either the stored or the asserted signature
/// counter is non-zero, the asserted one must be greater.
fn counter_moved_on(stored_credential: &str, asserted: u32) -> Result<bool, ApiError> {
    let value: serde_json::Value =
        serde_json::from_str(stored_credential).map_err(ApiError::internal)?;
    let stored = value["cred"]["counter"]
        .as_u64()
        .ok_or_else(|| ApiError::internal("a stored passkey without its counter"))?;
    Ok((stored == 0 && asserted == 0) || u64::from(asserted) > stored)
}

/// The second step of a password login by passkey: a challenge for the
/// user's passkeys. 409 `conflict` when they have none.
pub async fn start_second_step(
    state: &AppState,
    mfa_token: &str,
) -> Result<PasskeyCeremony, ApiError> {
    if mfa_token.is_empty() || mfa_token.len() > 128 {
        return Err(ApiError::InvalidToken(TokenKind::Mfa));
    }
    let token_hash = one_time::hash(mfa_token);
    let (_, row, _) = live_challenge(&state.db, &token_hash).await?;
    let passkeys = state.db.run(move |conn| passkeys_of(conn, &row.id)).await?;
    if passkeys.is_empty() {
        return Err(ApiError::Conflict("no passkey is registered"));
    }
    let (options, authentication) = rp(state)?
        .start_passkey_authentication(&passkeys)
        .map_err(ApiError::internal)?;
    let id = park(
        state.store.as_ref(),
        &Pending::SecondStep {
            mfa_token_hash: token_hash,
            state: authentication,
        },
    )
    .await?;
    ceremony(id, &options)
}

/// Finishes the second step: a valid assertion by one of the user's
/// passkeys spends the `mfa_token` and starts an `aal2` session (`amr`
/// `pwd`, `hwk` or `swk`, `mfa`). A refused assertion is 401
/// `invalid_mfa_code` and counts toward the account's lockout like a wrong
/// TOTP code; the `mfa_token` stays usable for a new challenge.
pub async fn finish_second_step(
    state: &AppState,
    challenge_id: &str,
    credential: &serde_json::Value,
) -> Result<TokenPair, ApiError> {
    let response: PublicKeyCredential = parse(credential)?;
    let (pending, taken) = take(state.store.as_ref(), challenge_id).await?;
    let Pending::SecondStep {
        mfa_token_hash,
        state: authentication,
    } = pending
    else {
        return Err(unknown_challenge());
    };
    let judged = judge_second_step(state, mfa_token_hash, &response, &authentication).await;
    taken
        .give_back_unless_judged(state.store.as_ref(), &judged)
        .await;
    let (pair, evicted) = judged?;
    session::opened(state, pair, evicted).await
}

/// The second step's assertion judged and, when right, the `mfa_token`
/// spent and the session written, in one transaction: the pair to hand out
/// and the sessions it evicted.
async fn judge_second_step(
    state: &AppState,
    mfa_token_hash: String,
    response: &PublicKeyCredential,
    authentication: &PasskeyAuthentication,
) -> Result<(TokenPair, Vec<String>), ApiError> {
    let (challenge, row, roles) = live_challenge(&state.db, &mfa_token_hash).await?;
    let cap = state.settings.mfa.max_failures_per_day;
    let capped = row.id.clone();
    state
        .db
        .run(move |conn| super::daily_cap::ensure_under(conn, cap, &capped, now()))
        .await?;
    let lockout = state.lockout();
    let reservation = lockout.reserve(&row.email).await?;
    let result = match rp(state)?.finish_passkey_authentication(response, authentication) {
        Ok(result) => result,
        Err(e) => {
            tracing::info!(error = %e, "passkey assertion refused");
            second_step_refused(state, &row).await?;
            lockout.failed(&row.email, reservation).await?;
            return Err(ApiError::InvalidMfaCode { enrolling: false });
        }
    };
    let user_id = row.id.clone();
    let is_synced = result.backup_eligible();
    // A disabled account's right assertion gets no session (403 below).
    let (session, pair) = if row.disabled {
        (None, None)
    } else {
        let level = |at| AuthLevel::password_and_passkey(at, is_synced);
        let (write, pair) = prepare_session(state, row.clone(), roles, &challenge, level)?;
        (Some(write), Some(pair))
    };
    let judged = state
        .db
        .transaction(move |conn| {
            if !record_use(conn, &user_id, &result)? {
                return Ok(None);
            }
            // Spent by the first success; a racing one rolls back.
            if !rows::spend_challenge(conn, &mfa_token_hash, now())? {
                return Err(ApiError::InvalidToken(TokenKind::Mfa));
            }
            Ok(Some(match session {
                Some(session) => session.apply(conn)?,
                None => Vec::new(),
            }))
        })
        .await;
    let evicted = match judged {
        Ok(Some(evicted)) => {
            succeeded(state, &row.email, reservation).await;
            evicted
        }
        Ok(None) => {
            second_step_refused(state, &row).await?;
            lockout.failed(&row.email, reservation).await?;
            return Err(ApiError::InvalidMfaCode { enrolling: false });
        }
        Err(e) => {
            lockout.not_checked(&row.email, reservation).await;
            return Err(e);
        }
    };
    let pair = pair.ok_or(ApiError::AccountDisabled)?;
    Ok((pair, evicted))
}

/// Counts a refused passkey toward the account's daily second-factor cap.
async fn second_step_refused(state: &AppState, row: &UserRow) -> Result<(), ApiError> {
    let (settings, cap) = (
        state.settings.clone(),
        state.settings.mfa.max_failures_per_day,
    );
    let owner = row.clone();
    state
        .db
        .transaction(move |conn| {
            super::daily_cap::note_failure(conn, &settings, cap, &owner, now())
        })
        .await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// Starts a passwordless login: a challenge any discoverable passkey of
/// this relying party may answer.
pub async fn start_passwordless(state: &AppState) -> Result<PasskeyCeremony, ApiError> {
    let (options, authentication) = rp(state)?
        .start_discoverable_authentication()
        .map_err(ApiError::internal)?;
    let id = park(
        state.store.as_ref(),
        &Pending::Passwordless {
            state: authentication,
        },
    )
    .await?;
    ceremony(id, &options)
}

/// Finishes a passwordless login: the assertion names its user (the user
/// handle) and credential; a valid one with user verification starts an
/// `aal2` session (`amr` `hwk` or `swk`, `mfa`). Anything refused is 401
/// `invalid_credentials`; a refused signature on a known passkey counts
/// toward its account's lockout. The account rules of a password login
/// apply (disabled, unverified email).
pub async fn finish_passwordless(
    state: &AppState,
    challenge_id: &str,
    credential: &serde_json::Value,
    client: ClientInfo,
) -> Result<TokenPair, ApiError> {
    let response: PublicKeyCredential = parse(credential)?;
    let (pending, taken) = take(state.store.as_ref(), challenge_id).await?;
    let Pending::Passwordless {
        state: authentication,
    } = pending
    else {
        return Err(unknown_challenge());
    };
    let judged = judge_passwordless(state, &response, authentication, client).await;
    taken
        .give_back_unless_judged(state.store.as_ref(), &judged)
        .await;
    let (pair, evicted) = judged?;
    session::opened(state, pair, evicted).await
}

/// The passwordless assertion judged and, when right and the account may
/// log in, the passkey's use and the session written in one transaction.
async fn judge_passwordless(
    state: &AppState,
    response: &PublicKeyCredential,
    authentication: DiscoverableAuthentication,
    client: ClientInfo,
) -> Result<(TokenPair, Vec<String>), ApiError> {
    let relying_party = rp(state)?;
    let (handle, credential_id) = relying_party
        .identify_discoverable_authentication(response)
        .map_err(|_| ApiError::InvalidCredentials)?;
    let (user_id, credential_id) = (handle.to_string(), URL_SAFE_NO_PAD.encode(credential_id));
    let (row, roles, passkey) = state
        .db
        .run(move |conn| {
            let factor = rows::find_by_credential_id(conn, &credential_id)?
                .filter(|f| f.user_id == user_id && f.kind == PASSKEY && f.confirmed_at.is_some())
                .ok_or(ApiError::InvalidCredentials)?;
            let (row, roles) =
                crate::auth::users::load(conn, &user_id)?.ok_or(ApiError::InvalidCredentials)?;
            let passkey: Passkey =
                serde_json::from_str(&factor.secret).map_err(ApiError::internal)?;
            Ok((row, roles, passkey))
        })
        .await?;
    let lockout = state.lockout();
    let reservation = lockout.reserve(&row.email).await?;
    let result = match relying_party.finish_discoverable_authentication(
        response,
        authentication,
        &[DiscoverableKey::from(&passkey)],
    ) {
        Ok(result) => result,
        Err(e) => {
            tracing::info!(error = %e, "passkey assertion refused");
            lockout.failed(&row.email, reservation).await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    let user_id = row.id.clone();
    let is_synced = result.backup_eligible();
    // The account rules of a password login, told only after the passkey
    // proved itself; such a login starts no session.
    let refusal = if row.disabled {
        Some(ApiError::AccountDisabled)
    } else if state.settings.accounts.require_verified_email && !row.email_verified {
        Some(ApiError::EmailNotVerified)
    } else {
        None
    };
    let email = row.email.clone();
    let session = match refusal {
        Some(_) => None,
        None => {
            let proven = ProvenLogin {
                verified_hash: row.password_hash.clone(),
                tokens_valid_after: row.tokens_valid_after,
                upgraded_hash: None,
            };
            let level = AuthLevel::passkey(now(), is_synced);
            Some(session::prepare(state, row, roles, client, proven, level)?)
        }
    };
    let (session, pair) = session.unzip();
    let judged = state
        .db
        .transaction(move |conn| {
            if !record_use(conn, &user_id, &result)? {
                return Ok(None);
            }
            Ok(Some(match session {
                Some(session) => session.apply(conn)?,
                None => Vec::new(),
            }))
        })
        .await;
    let evicted = match judged {
        Ok(Some(evicted)) => {
            succeeded(state, &email, reservation).await;
            evicted
        }
        Ok(None) => {
            lockout.not_checked(&email, reservation).await;
            return Err(ApiError::InvalidCredentials);
        }
        Err(e) => {
            lockout.not_checked(&email, reservation).await;
            return Err(e);
        }
    };
    match (refusal, pair) {
        (None, Some(pair)) => Ok((pair, evicted)),
        (Some(refusal), _) => Err(refusal),
        (None, None) => Err(ApiError::internal("a passkey login without its session")),
    }
}

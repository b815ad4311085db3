//! Logging in with email and password: the use case behind
//! `POST /v1/auth/login`.
//!
//! The order matters for safety:
//! 1. the attempt is counted toward the account's lockout *before* bcrypt
//!    (so parallel guesses cannot outrun the threshold);
//! 2. bcrypt runs against the stored hash (a dummy one for unknown emails,
//!    so both cost the same);
//! 3. the session is written only if the user row still holds the hash
//!    that was verified and is still enabled ([`session::start`]): a reset
//!    or a disable that lands while bcrypt runs wins.
//!
//! A user with a confirmed second factor gets no session here but an
//! `mfa_token` for `auth::mfa::verify_login`. The password's success then
//! does not reset the lockout count: only the second step does, so knowing
//! the password never buys more guesses at the code.

use crate::api_types::TokenPair;
use crate::auth::audit::{Event, EventType, mask};
use crate::auth::session::{self, ClientInfo, ProvenLogin};
use crate::auth::{email::Email, mfa};
use crate::db::models::{MfaFactorRow, UserRow};
use crate::db::users;
use crate::error::ApiError;
use crate::password::Password;
use crate::state::AppState;

/// What a correct password gets.
pub enum LoginOutcome {
    /// A session: the user has no second factor.
    Session(TokenPair),
    /// The second step comes next (`POST /v1/auth/mfa/verify`).
    MfaRequired(mfa::Challenge),
}

impl LoginOutcome {
    /// The token pair, when the login needed no second step.
    pub fn into_session(self) -> Option<TokenPair> {
        match self {
            Self::Session(pair) => Some(pair),
            Self::MfaRequired(_) => None,
        }
    }
}

/// A login's result and, for the security log only, the id of the account
/// the email belongs to (when the password was checked against one). The
/// id never changes the answer: an unknown email and a wrong password still
/// answer alike.
pub struct Attempt {
    pub result: Result<LoginOutcome, ApiError>,
    pub user_id: Option<String>,
}

pub async fn with_password(
    state: &AppState,
    email: &Email,
    password: &str,
    client: ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    attempt(state, email, password, client).await.result
}

/// [`with_password`], also naming the account for the security log.
pub async fn attempt(
    state: &AppState,
    email: &Email,
    password: &str,
    client: ClientInfo,
) -> Attempt {
    let mut user_id = None;
    let result = run(state, email, password, client, &mut user_id).await;
    Attempt { result, user_id }
}

async fn run(
    state: &AppState,
    email: &Email,
    password: &str,
    client: ClientInfo,
    user_id: &mut Option<String>,
) -> Result<LoginOutcome, ApiError> {
    let lockout = state.lockout();
    let reservation = match lockout.reserve(email.as_str()).await {
        Ok(reservation) => reservation,
        Err(e @ ApiError::AccountLocked { .. }) => {
            refused(state, &client, email, None, e.code(), false).await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let checked = check(state, email, password, client.ip).await;
    if let Ok((Some((row, _, _)), _)) = &checked {
        *user_id = Some(row.id.clone());
    }
    let (row, roles, factors) = match checked {
        Ok((Some(found), true)) => found,
        Ok((found, _)) => {
            let locked = lockout.failed(email.as_str(), reservation).await?;
            let user_id = found.as_ref().map(|(row, _, _)| row.id.as_str());
            let reason = ApiError::InvalidCredentials;
            refused(state, &client, email, user_id, reason.code(), locked).await?;
            return Err(reason);
        }
        Err(e) => {
            lockout.not_checked(email.as_str(), reservation).await;
            return Err(e);
        }
    };
    if factors.is_empty() {
        lockout.succeeded(email.as_str(), reservation).await?;
    } else {
        lockout.not_checked(email.as_str(), reservation).await;
    }

    let refusal = if row.disabled {
        Some(ApiError::AccountDisabled)
    } else if state.settings.accounts.require_verified_email && !row.email_verified {
        Some(ApiError::EmailNotVerified)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        refused(state, &client, email, Some(&row.id), refusal.code(), false).await?;
        return Err(refusal);
    }
    if !factors.is_empty() {
        let challenge = mfa::start_challenge(state, &row, &factors, client).await?;
        return Ok(LoginOutcome::MfaRequired(challenge));
    }
    // Another cost, another algorithm or an imported scheme: the same
    // conditional update that records the login rewrites it.
    let upgraded_hash = if state.passwords.needs_rehash(&row.password_hash) {
        let password = Password::from_verified(password);
        Some(state.passwords.hash(&password, client.ip).await?)
    } else {
        None
    };
    let proven = ProvenLogin {
        verified_hash: row.password_hash.clone(),
        tokens_valid_after: row.tokens_valid_after,
        upgraded_hash,
    };
    session::start(state, row, roles, client, proven, false)
        .await
        .map(LoginOutcome::Session)
}

/// Records a refused login (`login.failed`, and `login.locked` when this
/// failure locked the account) in its own short transaction: nothing else
/// changed. Nobody was authenticated, so there is no actor.
async fn refused(
    state: &AppState,
    client: &ClientInfo,
    email: &Email,
    user_id: Option<&str>,
    reason: &str,
    locked: bool,
) -> Result<(), ApiError> {
    let subject = |kind| {
        let event = Event::new(kind).with("email", mask(email.as_str()));
        match user_id {
            Some(id) => event.about(id),
            None => event,
        }
    };
    let failed = subject(EventType::LoginFailed).with("reason", reason);
    let locked = locked.then(|| subject(EventType::LoginLocked));
    let (audit, ctx) = (state.audit.clone(), client.clone());
    state
        .db
        .transaction(move |conn| {
            audit.record(conn, &ctx, failed)?;
            if let Some(locked) = locked {
                audit.record(conn, &ctx, locked)?;
            }
            Ok(())
        })
        .await
}

/// A found user: the row, its roles and its confirmed factors.
type Found = (UserRow, Vec<String>, Vec<MfaFactorRow>);

/// The user with roles and factors the email belongs to (None for an
/// unknown email), and whether `password` is theirs. An unknown email, or
/// an account without a password, still costs one bcrypt verification, so
/// every failure takes the same time.
async fn check(
    state: &AppState,
    email: &Email,
    password: &str,
    caller: Option<std::net::IpAddr>,
) -> Result<(Option<Found>, bool), ApiError> {
    let lookup = email.clone();
    let found = state
        .db
        .run(move |conn| {
            let Some(row) = users::find_by_email(conn, lookup.as_str())? else {
                return Ok(None);
            };
            let roles = users::roles_of(conn, &row.id)?;
            let factors = crate::db::mfa::confirmed_factors(conn, &row.id)?;
            Ok(Some((row, roles, factors)))
        })
        .await?;
    // An account without a password (social, email sign-in, or after a
    // handover) costs one bcrypt verification too, so timing tells it from
    // none of the others.
    let own_hash = found
        .as_ref()
        .map(|(row, _, _)| row.password_hash.as_str())
        .filter(|hash| !hash.is_empty());
    let hash = own_hash.unwrap_or(state.dummy_hash.as_str());
    let matches = state.passwords.verify(password, hash, caller).await?;
    let matches = matches && own_hash.is_some();
    Ok((found, matches))
}

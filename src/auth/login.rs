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

use crate::api_types::TokenPair;
use crate::auth::Email;
use crate::auth::session::{self, ClientInfo, ProvenLogin};
use crate::db::models::UserRow;
use crate::db::users;
use crate::error::ApiError;
use crate::password::{self, Password};
use crate::state::AppState;

/// A login's result and, for the security log only, the id of the account
/// the email belongs to (when the password was checked against one). The
/// id never changes the answer: an unknown email and a wrong password still
/// answer alike.
pub struct Attempt {
    pub result: Result<TokenPair, ApiError>,
    pub user_id: Option<String>,
}

pub async fn with_password(
    state: &AppState,
    email: &Email,
    password: &str,
    client: ClientInfo,
) -> Result<TokenPair, ApiError> {
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
) -> Result<TokenPair, ApiError> {
    let reservation = state.lockout().reserve(email.as_str()).await?;
    let checked = check(state, email, password, client.ip).await;
    if let Ok((Some((row, _)), _)) = &checked {
        *user_id = Some(row.id.clone());
    }
    let (row, roles) = match checked {
        Ok((Some(found), true)) => found,
        Ok(_) => {
            state.lockout().failed(email.as_str(), reservation).await?;
            return Err(ApiError::InvalidCredentials);
        }
        Err(e) => {
            state
                .lockout()
                .not_checked(email.as_str(), reservation)
                .await;
            return Err(e);
        }
    };
    state
        .lockout()
        .succeeded(email.as_str(), reservation)
        .await?;

    if row.disabled {
        return Err(ApiError::AccountDisabled);
    }
    if state.settings.accounts.require_verified_email && !row.email_verified {
        return Err(ApiError::EmailNotVerified);
    }
    let upgraded_hash = if password::needs_rehash(&row.password_hash, state.settings.bcrypt.cost) {
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
    session::start(state, row, roles, client, proven).await
}

/// The user with roles the email belongs to (None for an unknown email),
/// and whether `password` is theirs. An unknown email still costs one
/// bcrypt verification, so the two failures take the same time.
async fn check(
    state: &AppState,
    email: &Email,
    password: &str,
    caller: Option<std::net::IpAddr>,
) -> Result<(Option<(UserRow, Vec<String>)>, bool), ApiError> {
    let lookup = email.clone();
    let found = state
        .db
        .run(move |conn| {
            let Some(row) = users::find_by_email(conn, lookup.as_str())? else {
                return Ok(None);
            };
            let roles = users::roles_of(conn, &row.id)?;
            Ok(Some((row, roles)))
        })
        .await?;
    let hash = found
        .as_ref()
        .map_or(state.dummy_hash.as_str(), |(row, _)| {
            row.password_hash.as_str()
        });
    let matches = state.passwords.verify(password, hash, caller).await?;
    let matches = matches && found.is_some();
    Ok((found, matches))
}

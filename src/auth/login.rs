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

pub async fn with_password(
    state: &AppState,
    email: &Email,
    password: &str,
    client: ClientInfo,
) -> Result<TokenPair, ApiError> {
    let reservation = state.lockout().reserve(email.as_str()).await?;
    let checked = check(state, email, password, client.ip).await;
    let (row, roles) = match checked {
        Ok(Some(found)) => found,
        Ok(None) => {
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

/// The user with roles when `password` is theirs; None for a wrong password
/// or an unknown email (which still costs one bcrypt verification, so the
/// two take the same time).
async fn check(
    state: &AppState,
    email: &Email,
    password: &str,
    caller: Option<std::net::IpAddr>,
) -> Result<Option<(UserRow, Vec<String>)>, ApiError> {
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
    Ok(found.filter(|_| matches))
}

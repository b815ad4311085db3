//! One-time tokens for mail links: 32 random bytes, base64url in the link,
//! only their SHA-256 in the database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::db::AnyConnection;
use crate::db::models::{NewOneTimeToken, OneTimeTokenRow};
use crate::error::{ApiError, TokenKind};

/// What a one-time token may be spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Confirms a new address; the token carries it.
    ChangeEmail,
    /// Puts the old address back after a change; the token carries it.
    RevertEmail,
}

impl Purpose {
    /// As stored in `one_time_tokens.purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChangeEmail => "change_email",
            Self::RevertEmail => "revert_email",
        }
    }
}

/// Creates a token for `purpose` and stores its hash; returns the token.
pub fn issue(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: Purpose,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    issue_inner(conn, user_id, purpose, None, now, ttl)
}

/// Like [`issue`], for a token bound to an address (email change), stored
/// with it. Spends the user's older tokens of the same purpose first: only
/// the newest request's link works.
pub fn issue_for_address(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: Purpose,
    email: &str,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    crate::db::one_time_tokens::spend_all(conn, user_id, purpose.as_str(), now)?;
    issue_inner(conn, user_id, purpose, Some(email), now, ttl)
}

/// Like [`issue_for_address`], but older tokens of the purpose stay
/// usable: each old address keeps its own revert link (API.md §13).
pub fn issue_keeping_older(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: Purpose,
    email: &str,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    issue_inner(conn, user_id, purpose, Some(email), now, ttl)
}

fn issue_inner(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: Purpose,
    email: Option<&str>,
    now: NaiveDateTime,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let expires_at = now + chrono::Duration::from_std(ttl).map_err(ApiError::internal)?;
    crate::db::one_time_tokens::insert(
        conn,
        &NewOneTimeToken {
            token_hash: &hash(&token),
            user_id,
            purpose: purpose.as_str(),
            created_at: now,
            expires_at,
            email,
        },
    )?;
    Ok(token)
}

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Finds a live token of `purpose` without spending it: Ok(None) when no
/// such token exists, Err for a used or expired one. The lookup is by hash,
/// so no secret is compared in variable time.
pub fn peek(
    conn: &mut AnyConnection,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<Option<OneTimeTokenRow>, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let Some(row) = crate::db::one_time_tokens::find(conn, &hash(token))? else {
        return Ok(None);
    };
    if row.purpose != purpose.as_str() {
        return Ok(None);
    }
    if row.used_at.is_some() {
        return Err(ApiError::TokenUsed);
    }
    if row.expires_at <= now {
        return Err(ApiError::TokenExpired(TokenKind::OneTime));
    }
    Ok(Some(row))
}

/// Finds a live token of `purpose` and spends it, in the caller's
/// transaction (a conditional update: of two racing spends one wins).
pub fn consume(
    conn: &mut AnyConnection,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<OneTimeTokenRow, ApiError> {
    let row = peek(conn, token, purpose, now)?.ok_or(ApiError::InvalidToken(TokenKind::OneTime))?;
    if !crate::db::one_time_tokens::mark_used(conn, &row.token_hash, now)? {
        return Err(ApiError::TokenUsed);
    }
    Ok(row)
}

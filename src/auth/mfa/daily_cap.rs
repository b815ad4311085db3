//! The cumulative cap on second-factor failures (API.md §14): the
//! per-account lockout allows a few guesses every quarter hour forever;
//! this bounds them to `AUTH_MFA_MAX_FAILURES_PER_DAY` over any 24 hours,
//! counted in the database, and mails the owner when it trips.

use chrono::NaiveDateTime;

use crate::config::Settings;
use crate::db::models::UserRow;
use crate::db::{AnyConnection, mfa_failures};
use crate::error::ApiError;
use crate::mail::{self, MailKind, Recipient};

const WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// 429 `account_locked` when the user reached the cap within the window.
pub fn ensure_under(
    conn: &mut AnyConnection,
    cap: u32,
    user_id: &str,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    if cap == 0 {
        return Ok(());
    }
    let since = at - WINDOW;
    if mfa_failures::count_since(conn, user_id, since)? < i64::from(cap) {
        return Ok(());
    }
    // Lifts when the oldest failure in the window ages out.
    let until = mfa_failures::oldest_since(conn, user_id, since)?.unwrap_or(at) + WINDOW;
    let retry_after = (until - at).num_seconds().max(1) as u64;
    Err(ApiError::AccountLocked {
        retry_after,
        locked_until: until.and_utc(),
    })
}

/// Records a refused second factor; the failure that reaches the cap
/// queues a notice to the owner.
pub fn note_failure(
    conn: &mut AnyConnection,
    settings: &Settings,
    cap: u32,
    user: &UserRow,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    let user_id = user.id.as_str();
    mfa_failures::record(conn, user_id, at)?;
    if cap > 0 && mfa_failures::count_since(conn, user_id, at - WINDOW)? == i64::from(cap) {
        tracing::warn!(user_id, "second-factor failures reached the daily cap");
        mail::enqueue(conn, settings, &Recipient::user(user), MailKind::MfaLocked)?;
    }
    Ok(())
}

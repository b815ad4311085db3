//! Account lockout: `AUTH_LOCKOUT_THRESHOLD` consecutive failed password
//! checks lock the account for `AUTH_LOCKOUT_DURATION`. Counted per email
//! whether or not the account exists, so the lock itself reveals nothing.
//!
//! An attempt is counted *before* bcrypt runs ([`reserve`]) and given back
//! on success ([`succeeded`]), so however many guesses arrive in parallel,
//! at most the threshold are ever verified. Login, password change and
//! account deletion share the one count.

use crate::error::ApiError;
use crate::state::AppState;

fn key(email: &str) -> String {
    format!("lockout:{email}")
}

/// A counted attempt: pass it back to [`failed`] or [`succeeded`].
#[must_use]
pub struct Reservation {
    count: u64,
}

/// Counts one password check for `email` (as parsed by [`crate::auth::Email`]
/// or as stored); Err(account_locked) when the account is locked, without
/// counting (a lock does not grow while locked).
pub async fn reserve(state: &AppState, email: &str) -> Result<Reservation, ApiError> {
    let key = key(email);
    let threshold = u64::from(state.settings.lockout_threshold);
    if let Some(counter) = state.store.counter(&key).await?
        && counter.count >= threshold
    {
        return Err(locked(state, counter.reset_in));
    }
    let counter = state
        .store
        .hit_extend(&key, state.settings.lockout_duration)
        .await?;
    if counter.count > threshold {
        // Lost a race against parallel attempts that used up the threshold.
        return Err(locked(state, counter.reset_in));
    }
    Ok(Reservation {
        count: counter.count,
    })
}

fn locked(state: &AppState, reset_in: std::time::Duration) -> ApiError {
    state.metrics.rate_limit_hit("lockout");
    let retry_after = reset_in.as_secs().max(1);
    let locked_until = chrono::Duration::from_std(std::time::Duration::from_secs(retry_after))
        .ok()
        .and_then(|wait| chrono::Utc::now().checked_add_signed(wait))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    ApiError::AccountLocked {
        retry_after,
        locked_until,
    }
}

/// The checked password was wrong: the attempt stays counted.
pub fn failed(state: &AppState, email: &str, reservation: Reservation) {
    if reservation.count == u64::from(state.settings.lockout_threshold) {
        tracing::warn!(email = %crate::telemetry::mask_email(email), "account locked after repeated failed password checks");
    }
}

/// Clears the count for `email` (as stored): an admin lifting a lock.
pub async fn clear(state: &AppState, email: &str) -> Result<(), ApiError> {
    Ok(state.store.delete(&key(email)).await?)
}

/// The checked password was right: the count starts again.
pub async fn succeeded(
    state: &AppState,
    email: &str,
    _reservation: Reservation,
) -> Result<(), ApiError> {
    Ok(state.store.delete(&key(email)).await?)
}

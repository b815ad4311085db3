//! Account lockout: `AUTH_LOCKOUT_THRESHOLD` consecutive failed password
//! checks lock the account for `AUTH_LOCKOUT_DURATION`. Counted per email
//! whether or not the account exists, so the lock itself reveals nothing.
//! Login, password change and account deletion share the one count.
//!
//! However many guesses arrive in parallel, at most the threshold are ever
//! verified: a check is admitted only while failures plus checks still in
//! flight stay under the threshold ([`reserve`], one atomic store call).
//! One past that while nothing has failed yet is a moment's wait (503 with
//! `Retry-After: 1`), not a lock; the lock comes from failures alone.
//! A check that never ran (a backing service failed) is given back, so an
//! outage never locks anyone out.

use std::time::Duration;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Attempt;

/// Longer than any bcrypt check; what a crashed instance had in flight
/// lapses after it.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(60);

fn failures_key(email: &str) -> String {
    format!("lockout:{email}")
}

fn in_flight_key(email: &str) -> String {
    format!("lockout-inflight:{email}")
}

/// An admitted check: pass it back to [`failed`], [`succeeded`] or
/// [`not_checked`].
#[must_use]
pub struct Reservation(());

/// Admits one password check for `email` (as parsed by
/// [`crate::auth::Email`], or as stored): 429 `account_locked` while the
/// account is locked, 503 while the threshold's worth of checks is in
/// flight.
pub async fn reserve(state: &AppState, email: &str) -> Result<Reservation, ApiError> {
    let attempt = state
        .store
        .reserve_attempt(
            &failures_key(email),
            &in_flight_key(email),
            u64::from(state.settings.lockout_threshold),
            IN_FLIGHT_TTL,
        )
        .await?;
    match attempt {
        Attempt::Granted => Ok(Reservation(())),
        Attempt::Locked { reset_in } => Err(locked(state, reset_in)),
        Attempt::Busy => Err(ApiError::ServiceUnavailable("password checks")),
    }
}

fn locked(state: &AppState, reset_in: Duration) -> ApiError {
    state.metrics.rate_limit_hit("lockout");
    let retry_after = reset_in.as_secs().max(1);
    let locked_until = chrono::Duration::from_std(Duration::from_secs(retry_after))
        .ok()
        .and_then(|wait| chrono::Utc::now().checked_add_signed(wait))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    ApiError::AccountLocked {
        retry_after,
        locked_until,
    }
}

async fn release(state: &AppState, email: &str) {
    if let Err(e) = state.store.give_back(&in_flight_key(email)).await {
        tracing::warn!(error = %e, "could not release a password check");
    }
}

/// The checked password was wrong: one more failure. True when this
/// failure locked the account.
pub async fn failed(
    state: &AppState,
    email: &str,
    _reservation: Reservation,
) -> Result<bool, ApiError> {
    // Count the failure before releasing the check, so the two together
    // never undercount.
    let counted = state
        .store
        .hit_extend(&failures_key(email), state.settings.lockout_duration)
        .await;
    release(state, email).await;
    let locked = counted?.count == u64::from(state.settings.lockout_threshold);
    if locked {
        tracing::warn!(email = %crate::telemetry::mask_email(email), "account locked after repeated failed password checks");
    }
    Ok(locked)
}

/// The check never ran (a backing service failed, the bcrypt queue was
/// full): it is given back.
pub async fn not_checked(state: &AppState, email: &str, _reservation: Reservation) {
    release(state, email).await;
}

/// The checked password was right: the failure count starts again.
pub async fn succeeded(
    state: &AppState,
    email: &str,
    _reservation: Reservation,
) -> Result<(), ApiError> {
    let reset = state.store.delete(&failures_key(email)).await;
    release(state, email).await;
    Ok(reset?)
}

/// Unlocks the account (an admin's decision): the failure count is gone.
pub async fn clear(state: &AppState, email: &str) -> Result<(), ApiError> {
    Ok(state.store.delete(&failures_key(email)).await?)
}

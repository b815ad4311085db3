//! Account lockout: `AUTH_LOCKOUT_THRESHOLD` consecutive failed logins lock
//! the account for `AUTH_LOCKOUT_DURATION`. Counted per email whether or not
//! the account exists, so the lock itself reveals nothing.

use crate::auth::Email;
use crate::error::ApiError;
use crate::state::AppState;

fn key(email: &Email) -> String {
    format!("lockout:{email}")
}

/// Err(account_locked) while the account is locked.
pub async fn check(state: &AppState, email: &Email) -> Result<(), ApiError> {
    if let Some(counter) = state.store.counter(&key(email)).await?
        && counter.count >= u64::from(state.settings.lockout_threshold)
    {
        state.metrics.rate_limit_hit("lockout");
        return Err(ApiError::AccountLocked {
            retry_after: counter.reset_in.as_secs().max(1),
        });
    }
    Ok(())
}

/// Counts a failure; the count lives `AUTH_LOCKOUT_DURATION` after the last one.
pub async fn record_failure(state: &AppState, email: &Email) -> Result<(), ApiError> {
    let counter = state
        .store
        .hit_extend(&key(email), state.settings.lockout_duration)
        .await?;
    if counter.count == u64::from(state.settings.lockout_threshold) {
        tracing::warn!(email = %crate::telemetry::mask_email(email.as_str()), "account locked after repeated failed logins");
    }
    Ok(())
}

pub async fn reset(state: &AppState, email: &Email) -> Result<(), ApiError> {
    Ok(state.store.delete(&key(email)).await?)
}

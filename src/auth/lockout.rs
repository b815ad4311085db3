//! Account lockout: `AUTH_LOCKOUT_THRESHOLD` consecutive failed password
//! checks lock the account for `AUTH_LOCKOUT_DURATION`. Counted per email
//! whether or not the account exists, so the lock itself reveals nothing.
//! Login, password change and account deletion share the one count.
//!
//! However many guesses arrive in parallel, at most the threshold are ever
//! verified: a check is admitted only while failures plus checks still in
//! flight stay under the threshold ([`Lockout::reserve`], one atomic store call).
//! One past that while nothing has failed yet is a moment's wait (503 with
//! `Retry-After: 1`), not a lock; the lock comes from failures alone.
//! A check that never ran (a backing service failed) is given back, so an
//! outage never locks anyone out.

use std::time::Duration;

use crate::config::LockoutSettings;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{Attempt, Store};

/// Longer than any bcrypt check; what a crashed instance had in flight
/// lapses after it.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(60);

// The two counters `reserve_attempt` reads in one script share a hash tag
// (`{l:EMAIL}`), so they share a slot on a Redis Cluster. The tag starts
// with `l:`, so it is never empty, and both keys end in the same text, so
// they get the same tag whatever braces the address holds.
fn failures_key(email: &str) -> String {
    format!("lockout:{{l:{email}}}")
}

fn in_flight_key(email: &str) -> String {
    format!("lockout-inflight:{{l:{email}}}")
}

/// An admitted check: pass it back to [`Lockout::failed`],
/// [`Lockout::succeeded`] or [`Lockout::not_checked`].
#[must_use]
pub struct Reservation(());

/// What the lockout needs: the shared store, its two settings, and the
/// metrics that count locks. Built by `AppState::lockout`.
#[derive(Clone, Copy)]
pub struct Lockout<'a> {
    pub store: &'a dyn Store,
    pub settings: LockoutSettings,
    pub metrics: &'a Metrics,
}

impl Lockout<'_> {
    /// Admits one password check for `email` (as parsed by
    /// [`crate::auth::email::Email`], or as stored): 429 `account_locked` while the
    /// account is locked, 503 while the threshold's worth of checks is in
    /// flight.
    pub async fn reserve(&self, email: &str) -> Result<Reservation, ApiError> {
        let attempt = self
            .store
            .reserve_attempt(
                &failures_key(email),
                &in_flight_key(email),
                u64::from(self.settings.threshold),
                IN_FLIGHT_TTL,
            )
            .await?;
        match attempt {
            Attempt::Granted => Ok(Reservation(())),
            Attempt::Locked { reset_in } => Err(self.locked(reset_in)),
            Attempt::Busy => Err(ApiError::ServiceUnavailable("password checks")),
        }
    }

    fn locked(&self, reset_in: Duration) -> ApiError {
        self.metrics.rate_limit_hit("lockout");
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

    async fn release(&self, email: &str) {
        if let Err(e) = self.store.give_back(&in_flight_key(email)).await {
            tracing::warn!(error = %e, "could not release a password check");
        }
    }

    /// The checked password was wrong: one more failure. True when this
    /// failure locked the account.
    pub async fn failed(&self, email: &str, _reservation: Reservation) -> Result<bool, ApiError> {
        // Count the failure before releasing the check, so the two together
        // never undercount.
        let counted = self
            .store
            .hit_extend(&failures_key(email), self.settings.duration)
            .await;
        self.release(email).await;
        let locked = counted?.count == u64::from(self.settings.threshold);
        if locked {
            tracing::warn!(email = %crate::auth::email::mask(email), "account locked after repeated failed password checks");
        }
        Ok(locked)
    }

    /// The check never ran (a backing service failed, the bcrypt queue was
    /// full): it is given back.
    pub async fn not_checked(&self, email: &str, _reservation: Reservation) {
        self.release(email).await;
    }

    /// The checked password was right: the failure count starts again.
    pub async fn succeeded(&self, email: &str, _reservation: Reservation) -> Result<(), ApiError> {
        let reset = self.store.delete(&failures_key(email)).await;
        self.release(email).await;
        Ok(reset?)
    }

    /// Unlocks the account (an admin's decision): the failure count is gone.
    pub async fn clear(&self, email: &str) -> Result<(), ApiError> {
        Ok(self.store.delete(&failures_key(email)).await?)
    }
}

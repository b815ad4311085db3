//! The machinery every outbox shares (mail, webhooks, Shared Signals): a row is written in
//! the transaction of the change that causes it, then a background task per
//! instance claims one due row at a time with a short lease, delivers it,
//! and records the outcome, retrying with exponential backoff (2 s doubling,
//! capped at an hour) until it is delivered or has used its attempts (then
//! it is dead, with its last error). Requests never wait for it.
//!
//! A claim never outlives its lease: one delivery is cut off at
//! [`DELIVERY_DEADLINE`], well inside [`LEASE`], so no other instance can
//! claim a row while a live one is still delivering it; a row claimed by an
//! instance that died is retried once its lease lapses.
//!
//! A queue says what its rows are and how one is delivered
//! ([`OutboxJobs`]); the claim and the failure bookkeeping are shared
//! (`db::outbox::claim_one`, `db::outbox::record_failure`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::Notify;

use crate::db::{AnyConnection, Db, now, outbox};
use crate::error::ApiError;

/// How long a claim lasts. A crashed instance's claimed row waits this long
/// at most before another instance (or the restarted one) delivers it.
pub const LEASE: TimeDelta = TimeDelta::seconds(20);
/// One delivery is abandoned after this, as a failed attempt, so it ends
/// inside the lease with room for the database writes around it.
pub const DELIVERY_DEADLINE: Duration = Duration::from_secs(12);
const IDLE_POLL: Duration = Duration::from_secs(1);
const FIRST_RETRY_SECS: i64 = 2;
const MAX_RETRY_SECS: i64 = 3600;

/// Why a delivery attempt failed: `message` goes to `last_error` (never a
/// secret); the `last` failure makes the row dead at once (the receiver
/// refused it for good, so retrying cannot help).
#[derive(Debug)]
pub struct Failed {
    pub message: String,
    pub last: bool,
}

impl Failed {
    /// A failure the receiver says will not change: no retry.
    pub fn for_good(message: String) -> Self {
        Self {
            message,
            last: true,
        }
    }
}

/// Any other failure is retried.
impl From<String> for Failed {
    fn from(message: String) -> Self {
        Self {
            message,
            last: false,
        }
    }
}

/// One kind of outbox: its table, how a claimed row is read, delivered and
/// marked done.
pub trait OutboxJobs: 'static {
    /// A claimed row.
    type Job: Send + 'static;
    /// Its table: `id`, `status`, `attempts`, `next_attempt_at`,
    /// `locked_until`, `last_error`, `created_at` as the mail outbox has them.
    const TABLE: &'static str;
    /// Names the queue in logs.
    const NAME: &'static str;

    fn load(conn: &mut AnyConnection, id: &str) -> diesel::QueryResult<Option<Self::Job>>;
    /// One delivery attempt.
    fn deliver(&self, job: &Self::Job) -> impl Future<Output = Result<(), Failed>>;
    /// Records a delivery.
    fn mark_done(
        conn: &mut AnyConnection,
        id: &str,
        at: chrono::NaiveDateTime,
    ) -> diesel::QueryResult<()>;
    fn max_attempts(&self) -> u32;
    /// Told of each outcome after it is recorded (metrics).
    fn delivered(&self) {}
}

/// Runs `jobs` until the process ends, on the current (actix) thread: a
/// delivery may hold a client that is not `Send`.
pub fn spawn<J: OutboxJobs>(db: Db, jobs: J, wakeup: Arc<Notify>) {
    actix_web::rt::spawn(async move {
        loop {
            let attempted = match attempt_one(&db, &jobs).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(queue = J::NAME, error = %e, "outbox worker could not read its table");
                    0
                }
            };
            if attempted == 0 {
                // Sleep until a request queues a row, or poll for retries.
                let _ = tokio::time::timeout(IDLE_POLL, wakeup.notified()).await;
            }
        }
    });
}

/// Delivers every row that is due now, on the caller's task (tests and
/// tools); returns how many it attempted. Claims take the same lease, so it
/// never doubles a delivery the background worker makes.
pub async fn drain<J: OutboxJobs>(db: &Db, jobs: &J) -> Result<usize, ApiError> {
    let mut attempted = 0;
    loop {
        match attempt_one(db, jobs).await? {
            0 => return Ok(attempted),
            n => attempted += n,
        }
    }
}

/// Claims and delivers at most one due row; returns how many it attempted.
async fn attempt_one<J: OutboxJobs>(db: &Db, jobs: &J) -> Result<usize, ApiError> {
    // Writes take the same in-process turn as every SQLite write.
    let claimed = db
        .transaction(|conn| {
            let at = now();
            let Some(claim) = outbox::claim_one(conn, J::TABLE, at, at + LEASE)? else {
                return Ok(None);
            };
            Ok(J::load(conn, &claim.id)?.map(|job| (claim, job)))
        })
        .await?;
    let Some((claim, job)) = claimed else {
        return Ok(0);
    };
    let outcome = match tokio::time::timeout(DELIVERY_DEADLINE, jobs.deliver(&job)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Failed::from(format!(
            "delivery took longer than {} s and was abandoned",
            DELIVERY_DEADLINE.as_secs()
        ))),
    };
    let attempts = claim.attempts + 1;
    let dead =
        attempts >= jobs.max_attempts() as i32 || outcome.as_ref().is_err_and(|failed| failed.last);
    let succeeded = outcome.is_ok();
    let id = claim.id;
    db.transaction(move |conn| {
        match outcome {
            Ok(()) => J::mark_done(conn, &id, now())?,
            Err(Failed { message: error, .. }) => {
                let delay = backoff_secs(attempts);
                if dead {
                    tracing::error!(queue = J::NAME, id = %id, attempts, %error, "outbox row is dead after its last attempt");
                } else {
                    tracing::warn!(queue = J::NAME, id = %id, attempts, retry_in_secs = delay, %error, "delivery failed; will retry");
                }
                let next = now() + TimeDelta::seconds(delay);
                outbox::record_failure(conn, J::TABLE, &id, &error, next, dead)?;
            }
        }
        Ok(())
    })
    .await?;
    if succeeded {
        jobs.delivered();
    }
    Ok(1)
}

/// 2 s, 4 s, 8 s … capped at an hour.
fn backoff_secs(attempts: i32) -> i64 {
    let exp = (attempts - 1).clamp(0, 20) as u32;
    (FIRST_RETRY_SECS << exp).min(MAX_RETRY_SECS)
}

#[cfg(test)]
mod tests {
    use super::{DELIVERY_DEADLINE, LEASE, backoff_secs};

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_secs(1), 2);
        assert_eq!(backoff_secs(2), 4);
        assert_eq!(backoff_secs(30), 3600);
    }

    #[test]
    fn a_delivery_ends_well_inside_its_lease() {
        let lease = LEASE.to_std().unwrap();
        assert!(DELIVERY_DEADLINE * 3 / 2 <= lease);
        assert!(
            lease.as_secs() <= 25,
            "a crashed claim must lapse within 30 s"
        );
    }
}

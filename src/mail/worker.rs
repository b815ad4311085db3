//! The outbox worker: claims one due message at a time with a short lease,
//! delivers it, and records the outcome, retrying with exponential backoff
//! until a message is sent or has used its attempts (then it is dead, with
//! its last error). Requests never wait for it.
//!
//! A claim never outlives its lease: the delivery of the one claimed message
//! is cut off at [`DELIVERY_DEADLINE`], well inside [`LEASE`], so no other
//! instance can claim a message while a live one is still sending it. A
//! message claimed by an instance that died goes out once its lease lapses,
//! at most [`LEASE`] after the claim.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use lettre::message::Mailbox;

use super::transport::Transport;
use crate::db::{now, outbox};
use crate::state::AppState;

/// How long a claim lasts. A crashed instance's claimed message waits this
/// long at most before another instance (or the restarted one) sends it.
pub const LEASE: TimeDelta = TimeDelta::seconds(20);
/// The whole delivery of one message (connect, every SMTP command, the
/// data) is abandoned after this, as a failed attempt, so it ends inside
/// the lease with room for the database writes around it.
pub const DELIVERY_DEADLINE: Duration = Duration::from_secs(12);
const IDLE_POLL: Duration = Duration::from_secs(1);
const FIRST_RETRY_SECS: i64 = 2;
const MAX_RETRY_SECS: i64 = 3600;

pub fn spawn(state: Arc<AppState>) {
    tokio::spawn(async move { run(state).await });
}

async fn run(state: Arc<AppState>) {
    let transport = match Transport::from_settings(&state.settings) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "mail worker cannot start");
            return;
        }
    };
    let from: Mailbox = state.settings.mail.from.clone();
    loop {
        let delivered = match deliver_due(&state, &transport, &from).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "mail worker could not read the outbox");
                0
            }
        };
        if delivered == 0 {
            // Sleep until a request queues mail, or poll for due retries.
            let _ = tokio::time::timeout(IDLE_POLL, state.mail_wakeup.notified()).await;
        }
    }
}

/// Delivers every message that is due now, on the caller's task (tests and
/// tools; the worker does the same in the background); returns how many it
/// attempted. Claims take the same lease, so it never doubles a delivery
/// the worker makes.
pub async fn dispatch_all_pending(state: &AppState) -> Result<usize, crate::error::ApiError> {
    let transport =
        Transport::from_settings(&state.settings).map_err(crate::error::ApiError::internal)?;
    let mut attempted = 0;
    loop {
        match deliver_due(state, &transport, &state.settings.mail.from).await? {
            0 => return Ok(attempted),
            n => attempted += n,
        }
    }
}

/// One pass: claims and delivers at most one message; returns how many it
/// attempted.
async fn deliver_due(
    state: &AppState,
    transport: &Transport,
    from: &Mailbox,
) -> Result<usize, crate::error::ApiError> {
    // Writes take the same in-process turn as every SQLite write
    // transaction (a shared in-memory database would answer "locked").
    let claimed = state
        .db
        .transaction(|conn| {
            let at = now();
            Ok(outbox::claim_due(conn, at, at + LEASE, 1)?)
        })
        .await?;
    let count = claimed.len();
    for row in claimed {
        let outcome =
            match tokio::time::timeout(DELIVERY_DEADLINE, transport.deliver(from, &row)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!(
                    "delivery took longer than {} s and was abandoned",
                    DELIVERY_DEADLINE.as_secs()
                )),
            };
        let max_attempts = state.settings.mail.max_attempts as i32;
        let id = row.id.clone();
        let attempts = row.attempts + 1;
        state
            .db
            .transaction(move |conn| {
                match outcome {
                    Ok(()) => outbox::mark_sent(conn, &id, now())?,
                    Err(error) => {
                        let dead = attempts >= max_attempts;
                        let delay = backoff_secs(attempts);
                        if dead {
                            tracing::error!(message_id = %id, attempts, %error, "mail is dead after its last attempt");
                        } else {
                            tracing::warn!(message_id = %id, attempts, retry_in_secs = delay, %error, "mail delivery failed; will retry");
                        }
                        outbox::mark_failed(conn, &id, &error, now() + TimeDelta::seconds(delay), dead)?;
                    }
                }
                Ok(())
            })
            .await?;
    }
    Ok(count)
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

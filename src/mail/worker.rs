//! The outbox worker: claims due messages with a lease, delivers them, and
//! records the outcome, retrying with exponential backoff until a message is
//! sent or has used its attempts (then it is dead, with its last error).
//! Requests never wait for it.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use lettre::message::Mailbox;

use super::transport::Transport;
use crate::db::{now, outbox};
use crate::state::AppState;

const BATCH: i64 = 16;
const LEASE: TimeDelta = TimeDelta::seconds(120);
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
    let from: Mailbox = match state.settings.mail_from.parse() {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "AUTH_MAIL_FROM is not a mail address; mail worker stopped");
            return;
        }
    };
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

/// One pass: returns how many messages it attempted.
async fn deliver_due(
    state: &AppState,
    transport: &Transport,
    from: &Mailbox,
) -> Result<usize, crate::error::ApiError> {
    let claimed = state
        .db
        .run(|conn| {
            let at = now();
            Ok(outbox::claim_due(conn, at, at + LEASE, BATCH)?)
        })
        .await?;
    let count = claimed.len();
    for row in claimed {
        let outcome = transport.deliver(from, &row).await;
        let max_attempts = state.settings.mail_max_attempts as i32;
        let id = row.id.clone();
        let attempts = row.attempts + 1;
        state
            .db
            .run(move |conn| {
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
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_secs(1), 2);
        assert_eq!(backoff_secs(2), 4);
        assert_eq!(backoff_secs(30), 3600);
    }
}

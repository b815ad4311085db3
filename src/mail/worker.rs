//! The mail outbox's deliveries: the shared runner (`outbox_runner`) claims
//! one due message at a time with a lease and retries with backoff; this
//! says how a message is read, delivered (an `.eml` file or SMTP) and
//! recorded as sent (its subject and bodies, which hold live tokens, are
//! cleared).

use std::sync::Arc;

use lettre::message::Mailbox;

use super::transport::Transport;
use crate::db::models::OutboxRow;
use crate::db::{AnyConnection, outbox};
use crate::outbox_runner::{self, Failed, OutboxJobs};
use crate::state::AppState;

pub use crate::outbox_runner::{DELIVERY_DEADLINE, LEASE};

struct MailJobs {
    transport: Transport,
    from: Mailbox,
    max_attempts: u32,
}

impl OutboxJobs for MailJobs {
    type Job = OutboxRow;
    const TABLE: &'static str = "mail_outbox";
    const NAME: &'static str = "mail";

    fn load(conn: &mut AnyConnection, id: &str) -> diesel::QueryResult<Option<OutboxRow>> {
        outbox::find(conn, id)
    }

    async fn deliver(&self, job: &OutboxRow) -> Result<(), Failed> {
        // Written only so that a request did the same work either way.
        if job.kind == outbox::NOTHING {
            return Ok(());
        }
        Ok(self.transport.deliver(&self.from, job).await?)
    }

    fn mark_done(
        conn: &mut AnyConnection,
        id: &str,
        at: chrono::NaiveDateTime,
    ) -> diesel::QueryResult<()> {
        outbox::mark_sent(conn, id, at)
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }
}

fn jobs(state: &AppState) -> Result<MailJobs, String> {
    Ok(MailJobs {
        transport: Transport::from_settings(&state.settings)?,
        from: state.settings.mail.from.clone(),
        max_attempts: state.settings.mail.max_attempts,
    })
}

pub fn spawn(state: Arc<AppState>) {
    match jobs(&state) {
        Ok(jobs) => outbox_runner::spawn(state.db.clone(), jobs, state.mail_wakeup.clone()),
        Err(e) => tracing::error!(error = %e, "mail worker cannot start"),
    }
}

/// Delivers every message that is due now, on the caller's task (tests and
/// tools); returns how many it attempted.
pub async fn dispatch_all_pending(state: &AppState) -> Result<usize, crate::error::ApiError> {
    let jobs = jobs(state).map_err(crate::error::ApiError::internal)?;
    outbox_runner::drain(&state.db, &jobs).await
}

//! Pushing the queued Security Event Tokens to the receivers: the shared
//! outbox runner claims each row, signs its claims and POSTs them (RFC
//! 8935), retrying like a webhook.

use std::sync::Arc;

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::db::models::SsfRow;
use crate::db::{AnyConnection, ssf_outbox};
use crate::error::ApiError;
use crate::outbox_runner::{self, Failed, OutboxJobs};
use crate::state::AppState;

struct Pushes {
    receivers: Vec<String>,
    max_attempts: u32,
    tls: Arc<rustls::ClientConfig>,
    state: Arc<AppState>,
}

impl OutboxJobs for Pushes {
    type Job = SsfRow;
    const TABLE: &'static str = ssf_outbox::TABLE;
    const NAME: &'static str = "ssf";

    fn load(conn: &mut AnyConnection, id: &str) -> diesel::QueryResult<Option<SsfRow>> {
        ssf_outbox::find(conn, id)
    }

    async fn deliver(&self, job: &SsfRow) -> Result<(), Failed> {
        if !self.receivers.contains(&job.receiver) {
            return Err(Failed::for_good(
                "the receiver is no longer in AUTH_SSF_RECEIVERS".to_owned(),
            ));
        }
        let claims: Value = serde_json::from_str(&job.payload)
            .map_err(|e| Failed::for_good(format!("the stored event is not JSON: {e}")))?;
        let token = self
            .state
            .tokens
            .sign_security_event(&claims)
            .map_err(|e| e.to_string())?;
        let mut response = crate::webhooks::client(&self.tls)
            .post(&job.receiver)
            .insert_header(("content-type", "application/secevent+jwt"))
            .insert_header(("accept", "application/json"))
            .send_body(token)
            .await
            .map_err(|e| format!("cannot reach the receiver: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status.is_redirection() {
            return Err(
                format!("the receiver answered {status}; redirects are not followed").into(),
            );
        }
        if status == actix_web::http::StatusCode::BAD_REQUEST {
            // RFC 8935 §2.4: a 400 with an `err` code is a refusal for good.
            let body = response.body().limit(4096).await.unwrap_or_default();
            if let Some(err) = refusal(&body) {
                return Err(Failed::for_good(format!(
                    "the receiver refused the event: {err}"
                )));
            }
        }
        Err(format!("the receiver answered {status}").into())
    }

    fn mark_done(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> diesel::QueryResult<()> {
        crate::db::outbox::mark_delivered(conn, ssf_outbox::TABLE, id, at)
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    fn delivered(&self) {
        self.state.metrics.ssf_push_delivered();
    }
}

/// The `err` (and `description`) of an RFC 8935 error body, if it is one.
fn refusal(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let err = value.get("err")?.as_str()?;
    let text = |s: &str| {
        s.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    };
    Some(match value.get("description").and_then(Value::as_str) {
        Some(description) => format!("{} ({})", text(err), text(description)),
        None => text(err),
    })
}

fn pushes(state: Arc<AppState>) -> Result<Option<Pushes>, String> {
    let receivers = state.settings.audit.ssf_receivers.clone();
    if receivers.is_empty() {
        return Ok(None);
    }
    Ok(Some(Pushes {
        receivers,
        max_attempts: state.settings.audit.webhook_max_attempts,
        tls: crate::tls::public_client_config()?,
        state,
    }))
}

/// Starts the push worker when receivers are configured.
pub fn spawn(state: Arc<AppState>) {
    let (db, wakeup) = (state.db.clone(), Arc::new(tokio::sync::Notify::new()));
    match pushes(state) {
        Ok(Some(jobs)) => outbox_runner::spawn(db, jobs, wakeup),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "Shared Signals worker cannot start"),
    }
}

/// Delivers every push that is due now, on the caller's task (tests and
/// tools); returns how many it attempted (0 without receivers).
pub async fn dispatch_all_pending(state: Arc<AppState>) -> Result<usize, ApiError> {
    let db = state.db.clone();
    match pushes(state).map_err(ApiError::internal)? {
        Some(jobs) => outbox_runner::drain(&db, &jobs).await,
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn a_400_is_final_only_with_an_err_code() {
        assert_eq!(
            refusal(br#"{"err":"invalid_key","description":"unknown kid"}"#).as_deref(),
            Some("invalid_key (unknown kid)")
        );
        assert_eq!(refusal(b"<html>bad gateway</html>"), None);
        assert_eq!(refusal(br#"{"error":"x"}"#), None);
    }
}

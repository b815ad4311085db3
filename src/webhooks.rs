//! Webhook deliveries (API.md §12), signed as the Standard Webhooks
//! specification says: `webhook-id` (the event id, the same on every
//! retry), `webhook-timestamp` (unix seconds) and `webhook-signature`
//! (`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body` with the
//! base64-decoded `AUTH_WEBHOOK_SECRET`). Each attempt is cut off after
//! 10 s and never follows a redirect (a 3xx is a failed attempt). Rows are
//! queued by `auth::audit` in the event's transaction and claimed,
//! retried and given up on by the shared `outbox_runner`.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::db::models::WebhookRow;
use crate::db::{AnyConnection, webhook_outbox};
use crate::outbox_runner::{self, Failed, OutboxJobs};
use crate::state::AppState;

/// One attempt, connect to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The `webhook-signature` value for one delivery.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        // HMAC takes keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// A client for one delivery: cut off after [`TIMEOUT`], never following a
/// redirect (webhooks and Shared Signals pushes alike).
pub fn client(tls: &Arc<rustls::ClientConfig>) -> awc::Client {
    let connector = awc::Connector::new()
        .rustls_0_23(tls.clone())
        .timeout(TIMEOUT);
    awc::Client::builder()
        .connector(connector)
        .timeout(TIMEOUT)
        .disable_redirects()
        .finish()
}

struct WebhookJobs {
    url: String,
    key: Vec<u8>,
    max_attempts: u32,
    tls: Arc<rustls::ClientConfig>,
    state: Arc<AppState>,
}

impl OutboxJobs for WebhookJobs {
    type Job = WebhookRow;
    const TABLE: &'static str = webhook_outbox::TABLE;
    const NAME: &'static str = "webhook";

    fn load(conn: &mut AnyConnection, id: &str) -> diesel::QueryResult<Option<WebhookRow>> {
        webhook_outbox::find(conn, id)
    }

    async fn deliver(&self, job: &WebhookRow) -> Result<(), Failed> {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(&self.key, &job.id, timestamp, &job.payload);
        let response = client(&self.tls)
            .post(&self.url)
            .insert_header(("content-type", "application/json"))
            .insert_header(("webhook-id", job.id.as_str()))
            .insert_header(("webhook-timestamp", timestamp.to_string()))
            .insert_header(("webhook-signature", signature))
            .send_body(job.payload.clone())
            .await
            .map_err(|e| format!("cannot reach the webhook: {e}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!("the webhook answered {status}; redirects are not followed").into())
        } else {
            Err(format!("the webhook answered {status}").into())
        }
    }

    fn mark_done(
        conn: &mut AnyConnection,
        id: &str,
        at: chrono::NaiveDateTime,
    ) -> diesel::QueryResult<()> {
        crate::db::outbox::mark_delivered(conn, webhook_outbox::TABLE, id, at)
    }

    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    fn delivered(&self) {
        self.state.metrics.webhook_delivered();
    }
}

fn jobs(state: Arc<AppState>) -> Result<Option<WebhookJobs>, String> {
    let Some(target) = state.settings.audit.webhook.clone() else {
        return Ok(None);
    };
    let key = STANDARD
        .decode(target.key.expose())
        .map_err(|_| "AUTH_WEBHOOK_SECRET is not base64".to_owned())?;
    let tls = crate::tls::public_client_config()?;
    Ok(Some(WebhookJobs {
        url: target.url,
        key,
        max_attempts: state.settings.audit.webhook_max_attempts,
        tls,
        state,
    }))
}

/// Starts the delivery worker when a webhook is configured.
pub fn spawn(state: Arc<AppState>) {
    let (db, wakeup) = (state.db.clone(), Arc::new(tokio::sync::Notify::new()));
    match jobs(state) {
        Ok(Some(jobs)) => outbox_runner::spawn(db, jobs, wakeup),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "webhook worker cannot start"),
    }
}

/// Delivers every webhook that is due now, on the caller's task (tests and
/// tools); returns how many it attempted (0 without a webhook).
pub async fn dispatch_all_pending(state: Arc<AppState>) -> Result<usize, crate::error::ApiError> {
    let db = state.db.clone();
    match jobs(state).map_err(crate::error::ApiError::internal)? {
        Some(jobs) => outbox_runner::drain(&db, &jobs).await,
        None => Ok(0),
    }
}

//! Mail: rendered from templates (`templates`, API.md §17) in the
//! recipient's language, written to the outbox table in the caller's
//! transaction, delivered by the background worker to `.eml` files
//! (default) or SMTP.

mod kind;
pub mod locale;
pub mod templates;
pub mod transport;
pub mod worker;

use chrono::Utc;

use crate::config::Settings;
use crate::db::models::NewOutboxMessage;
use crate::db::{AnyConnection, now, outbox};
use crate::error::ApiError;
use crate::state::AppState;

pub use kind::{MailKind, Recipient, render};
pub use templates::Rendered;

/// Messages waiting longer than this make `/readyz` report mail as degraded.
const DEGRADED_AFTER_SECS: i64 = 300;

/// Queues a mail in the caller's transaction: it is sent if and only if the
/// change that caused it commits.
pub fn enqueue(
    conn: &mut AnyConnection,
    settings: &Settings,
    to: &Recipient<'_>,
    kind: MailKind,
) -> Result<(), ApiError> {
    let rendered = render(settings, to, &kind).map_err(ApiError::internal)?;
    let id = uuid::Uuid::now_v7().to_string();
    let at = now();
    outbox::enqueue(
        conn,
        &NewOutboxMessage {
            id: &id,
            recipient: to.email,
            kind: kind.name(),
            subject: &rendered.subject,
            body_text: &rendered.text,
            body_html: &rendered.html,
            locale: &rendered.locale,
            status: outbox::PENDING,
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
        },
    )?;
    Ok(())
}

/// Queues a row the worker drops without sending: written where a request
/// must do the same work whether or not a mail goes out (API.md §15, "in
/// the same time"), so the worker, not the request, decides.
pub fn enqueue_nothing(conn: &mut AnyConnection, recipient: &str) -> Result<(), ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    let at = now();
    outbox::enqueue(
        conn,
        &NewOutboxMessage {
            id: &id,
            recipient,
            kind: outbox::NOTHING,
            subject: "",
            body_text: "",
            body_html: "",
            locale: "",
            status: outbox::PENDING,
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
        },
    )?;
    Ok(())
}

/// Fails at start when the SMTP URL cannot be used.
pub fn check_transport(settings: &Settings) -> Result<(), String> {
    transport::Transport::from_settings(settings).map(drop)
}

pub fn transport_name(settings: &Settings) -> &'static str {
    if settings.mail.smtp_url.is_some() {
        "smtp"
    } else {
        "file"
    }
}

/// `ok`, or `degraded` when the oldest waiting message is older than five
/// minutes (the transport is failing), or `unavailable`.
pub async fn health(state: &AppState) -> &'static str {
    match state.db.run(|conn| Ok(outbox::stats(conn)?)).await {
        Ok((_, Some(oldest), _))
            if (Utc::now().naive_utc() - oldest).num_seconds() > DEGRADED_AFTER_SECS =>
        {
            "degraded"
        }
        Ok(_) => "ok",
        Err(_) => "unavailable",
    }
}

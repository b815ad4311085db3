//! `GET /metrics`: Prometheus text exposition for operators.

use actix_web::{HttpResponse, get, web};

use crate::db::{outbox, ssf_outbox, webhook_outbox};
use crate::metrics::Queues;
use crate::state::AppState;

/// Prometheus metrics: requests and latency by route template and status,
/// logins by outcome, tokens issued, refresh reuse detected, rate-limit hits,
/// the mail outbox, webhook deliveries and Shared Signals pushes (pending,
/// retrying, dead; delivered), database pool usage.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "OpenMetrics / Prometheus text exposition",
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // The outbox figures are best effort: a scrape must not fail with the database.
    let queues = state
        .db
        .run(|conn| {
            Ok(Queues {
                mail: outbox::counts(conn, "mail_outbox").ok(),
                webhooks: webhook_outbox::counts(conn).ok(),
                ssf: ssf_outbox::counts(conn).ok(),
            })
        })
        .await
        .unwrap_or(Queues {
            mail: None,
            webhooks: None,
            ssf: None,
        });
    state.metrics.set_queues(&queues);
    let body = state.metrics.render(state.db.state());
    HttpResponse::Ok()
        .insert_header((
            "Content-Type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ))
        .body(body)
}

//! `GET /metrics`: Prometheus text exposition for operators.

use actix_web::{HttpResponse, get, web};

use crate::db::outbox;
use crate::state::AppState;

/// Prometheus metrics: requests and latency by route template and status,
/// logins by outcome, tokens issued, refresh reuse detected, rate-limit hits,
/// mail outbox depth and dead mails, webhook deliveries and Shared Signals pushes
/// (pending, delivered, dead), database pool usage.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "OpenMetrics / Prometheus text exposition",
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // The outbox figures are best effort: a scrape must not fail with the database.
    let (pending, dead) = state
        .db
        .run(|conn| Ok(outbox::stats(conn)?))
        .await
        .map(|(pending, _, dead)| (pending, dead))
        .unwrap_or((-1, -1));
    let (webhooks_pending, webhooks_dead) = state
        .db
        .run(|conn| Ok(crate::db::webhook_outbox::counts(conn)?))
        .await
        .map(|(pending, _, dead)| (pending, dead))
        .unwrap_or((-1, -1));
    state
        .metrics
        .set_webhook_queue(webhooks_pending, webhooks_dead);
    let (ssf_pending, ssf_dead) = state
        .db
        .run(|conn| Ok(crate::db::ssf_outbox::counts(conn)?))
        .await
        .unwrap_or((-1, -1));
    state.metrics.set_ssf_queue(ssf_pending, ssf_dead);
    let body = state.metrics.render(pending, dead, state.db.state());
    HttpResponse::Ok()
        .insert_header((
            "Content-Type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ))
        .body(body)
}

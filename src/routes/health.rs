//! Probes for load balancers and Kubernetes: liveness touches nothing,
//! readiness checks the database and the store (and reports the mail queue).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok", "checks": {"database": "ok", "store": "ok", "mail": "ok"},
    "backends": {"database": "sqlite", "store": "memory", "mail": "file"}}))]
pub struct Readiness {
    /// `ok`, or `unavailable` when a check failed.
    pub status: &'static str,
    /// `ok`, `unavailable`; mail may also be `degraded` (old messages waiting), which does not fail readiness.
    pub checks: BTreeMap<&'static str, &'static str>,
    /// Which backend serves each concern.
    pub backends: BTreeMap<&'static str, &'static str>,
}

/// Liveness: the process answers. Touches no backend.
#[utoipa::path(tag = "ops", responses((status = 200, description = "The process is alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database and the store answer.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "A check failed; it is named in `checks`", body = Readiness),
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.ping().await.is_ok();
    let store = state.store.ping().await.is_ok();
    let mail = if database {
        crate::mail::health(&state).await
    } else {
        "unavailable"
    };
    let verdict = |ok: bool| if ok { "ok" } else { "unavailable" };
    let ready = database && store;
    let body = Readiness {
        status: if ready { "ok" } else { "unavailable" },
        checks: BTreeMap::from([
            ("database", verdict(database)),
            ("store", verdict(store)),
            ("mail", mail),
        ]),
        backends: BTreeMap::from([
            (
                "database",
                state.settings.storage.database_url.backend_name(),
            ),
            ("store", state.store.kind()),
            ("mail", crate::mail::transport_name(&state.settings)),
        ]),
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

//! `GET /`: what this is and where to go next, for a person or a script
//! that opens the bare address.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"name": "authd", "docs": "/docs", "health": "/healthz",
    "ready": "/readyz", "openapi": "/openapi.json"}))]
pub struct Index {
    pub name: &'static str,
    /// The interactive API docs; absent on the public listener when
    /// `AUTH_OPS_BIND` moves them to the operational one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub docs: Option<&'static str>,
    /// Liveness probe.
    pub health: &'static str,
    /// Readiness probe.
    pub ready: &'static str,
    /// The OpenAPI document; absent whenever `docs` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub openapi: Option<&'static str>,
}

/// Where things are: the docs, the probes and the OpenAPI document.
///
/// `docs` and `openapi` are listed only on the listener that serves them:
/// with `AUTH_OPS_BIND` set, the operational one.
#[utoipa::path(tag = "meta", responses((status = 200, description = "Links to the docs and the probes", body = Index)))]
#[get("/")]
pub async fn index(req: HttpRequest) -> HttpResponse {
    let ops_addr = req
        .app_data::<web::Data<OpsListener>>()
        .and_then(|ops| ops.addr);
    let docs_here = ops_addr.is_none_or(|addr| req.app_config().local_addr() == addr);
    HttpResponse::Ok().json(Index {
        name: "authd",
        docs: docs_here.then_some("/docs"),
        health: "/healthz",
        ready: "/readyz",
        openapi: docs_here.then_some("/openapi.json"),
    })
}

/// Where the operational listener (`AUTH_OPS_BIND`) is bound, if any.
#[derive(Debug, Clone, Copy)]
pub struct OpsListener {
    pub addr: Option<std::net::SocketAddr>,
}

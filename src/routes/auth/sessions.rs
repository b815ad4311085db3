use actix_web::{HttpRequest, HttpResponse, delete, get, web};

use crate::api_types::{Session, SessionList};
use crate::auth::{Authenticated, session};
use crate::error::ApiError;
use crate::openapi::responses::{BearerErrors, NotFound};
use crate::state::AppState;

/// The caller's active sessions, newest first.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Active sessions", body = SessionList),
        BearerErrors,
    )
)]
#[get("/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let rows = session::list_active(&state.db, caller.user_id()).await?;
    let sessions = rows
        .iter()
        .map(|row| Session::from_row(row, caller.session_id()))
        .collect();
    Ok(HttpResponse::Ok().json(SessionList { sessions }))
}

/// Revoke one of the caller's own sessions.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session revoked"),
        BearerErrors, NotFound,
    )
)]
#[delete("/sessions/{id}")]
pub async fn revoke_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = crate::extract::request_context(&req, &state);
    session::revoke_own(state.revoker(), caller.user_id(), &id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

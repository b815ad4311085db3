//! `/v1/admin/users/{id}/sessions`: one user's sessions, for an admin.

use actix_web::{HttpRequest, HttpResponse, delete, get, web};

use crate::api_types::{Session, SessionList};
use crate::auth::guard::UsersWrite;
use crate::auth::{RequirePermission, admin_sessions};
use crate::error::ApiError;
use crate::openapi::responses::{AdminErrors, NotFound};
use crate::state::AppState;

/// A user's active sessions, newest first (same shape as
/// `GET /v1/me/sessions`; `current` is always false). Needs `users:write`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user's active sessions", body = SessionList),
        AdminErrors, NotFound,
    )
)]
#[get("/users/{id}/sessions")]
pub async fn list_user_sessions(
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rows = admin_sessions::list(&state, &caller.caller.claims, &id).await?;
    let sessions = rows.iter().map(|row| Session::from_row(row, "")).collect();
    Ok(HttpResponse::Ok().json(SessionList { sessions }))
}

/// Revoke every session of a user, and every token issued to them so far,
/// at once. Needs `users:write`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Every session revoked"),
        AdminErrors, NotFound,
    )
)]
#[delete("/users/{id}/sessions")]
pub async fn revoke_user_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = crate::extract::request_context(&req, &state);
    admin_sessions::revoke_all(&state, &caller.caller.claims, &id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke one session of a user at once. A session of another user answers
/// 404 `not_found`. Needs `users:write`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "User id"),
        ("sid" = String, Path, description = "Session id"),
    ),
    responses(
        (status = 204, description = "Session revoked"),
        AdminErrors, NotFound,
    )
)]
#[delete("/users/{id}/sessions/{sid}")]
pub async fn revoke_user_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, sid) = path.into_inner();
    let ctx = crate::extract::request_context(&req, &state);
    admin_sessions::revoke_one(&state, &caller.caller.claims, &id, &sid, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api_types::{ListedUser, User};
use crate::auth::admin::UserCursor;
use crate::auth::guard::{RolesAssign, UsersRead, UsersWrite};
use crate::auth::{RequirePermission, admin};
use crate::db::users::UserFilter;
use crate::error::ApiError;
use crate::extract::{JsonBody, request_context};
use crate::openapi::responses::{
    AdminErrors, InvalidQuery, JsonBodyErrors, LastAdminConflict, NotFound,
};
use crate::state::AppState;

const MAX_PER_PAGE: i64 = 100;
/// Far past any real page; keeps offsets well inside 64 bits.
const MAX_PAGE: i64 = 1_000_000_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000_000, default = 1)]
    pub page: Option<i64>,
    /// Users per page (at most 100; larger values are capped).
    #[param(minimum = 1, default = 50)]
    pub per_page: Option<i64>,
    /// Only users whose email contains this (case-insensitive).
    pub email: Option<String>,
    /// Only users holding this role.
    pub role: Option<String>,
    /// `next_cursor` of the previous answer: the page after it (`page`
    /// is then ignored). Stays exact while users are added, and a deep
    /// page costs what the first does.
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<ListedUser>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"roles": ["editor"]}))]
pub struct SetRolesRequest {
    pub roles: Vec<String>,
}

/// List users, newest first. Needs `users:read`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "One page of users", body = UserPage),
        AdminErrors, InvalidQuery,
    )
)]
#[get("/users")]
pub async fn list_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    _caller: RequirePermission<UsersRead>,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<ListUsersQuery>::from_query(req.query_string())
        .map_err(|_| {
            ApiError::validation("query", "page and per_page must be whole numbers from 1")
        })?
        .into_inner();
    let page = query.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::validation("page", "must be from 1 to 1000000000"));
    }
    let per_page = query.per_page.unwrap_or(50);
    if per_page < 1 {
        return Err(ApiError::validation("per_page", "must be at least 1"));
    }
    let per_page = per_page.min(MAX_PER_PAGE);
    // PostgreSQL refuses a NUL in text (a 500 otherwise); no email or role
    // holds a control character, so such a filter is malformed.
    for (field, value) in [("email", &query.email), ("role", &query.role)] {
        if value
            .as_deref()
            .is_some_and(|v| v.chars().any(char::is_control))
        {
            return Err(ApiError::validation(
                field,
                "must not contain control characters",
            ));
        }
    }
    let filter = UserFilter {
        email_contains: query
            .email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty()),
        role: query.role.filter(|r| !r.is_empty()),
        offset: (page - 1) * per_page,
        limit: per_page,
        after: None,
    };
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(UserCursor::parse(raw).map_err(|m| ApiError::validation("cursor", m))?),
        None => None,
    };
    let listing = admin::list_users(&state.db, filter, cursor).await?;
    Ok(HttpResponse::Ok().json(UserPage {
        users: listing.users,
        page,
        per_page,
        total: listing.total,
        next_cursor: listing.next_cursor.map(|c| c.encode()),
    }))
}

/// One user. Needs `users:read`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User),
        AdminErrors, NotFound,
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    _caller: RequirePermission<UsersRead>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin::get_user(&state.db, &id).await?))
}

/// Replace a user's roles. Needs `roles:assign`. No change may leave zero
/// enabled admins.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = SetRolesRequest,
    responses(
        (status = 200, description = "The user with the new roles (effective in their tokens from the next refresh)", body = User),
        JsonBodyErrors, AdminErrors, NotFound, LastAdminConflict,
    )
)]
#[put("/users/{id}/roles")]
pub async fn set_roles(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: RequirePermission<RolesAssign>,
    id: web::Path<String>,
    body: JsonBody<SetRolesRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = request_context(&req, &state);
    let user = admin::set_roles(&state, &caller.caller.claims, &id, body.0.roles, &ctx).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Disable a user: they cannot log in, and every session ends at once.
/// Needs `users:write`. No change may leave zero enabled admins.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The disabled user", body = User),
        AdminErrors, NotFound, LastAdminConflict,
    )
)]
#[post("/users/{id}/disable")]
pub async fn disable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = request_context(&req, &state);
    let user = admin::disable(&state, &caller.caller.claims, &id, &ctx).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Enable a disabled user again. Needs `users:write`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The enabled user", body = User),
        AdminErrors, NotFound,
    )
)]
#[post("/users/{id}/enable")]
pub async fn enable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = request_context(&req, &state);
    let user = admin::enable(&state, &caller.caller.claims, &id, &ctx).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Lift a lockout: clears the account's failed-password count, so the
/// right password logs in again at once. Needs `users:write`. Unlocking an
/// account that is not locked changes nothing.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The unlocked user", body = User),
        AdminErrors, NotFound,
    )
)]
#[post("/users/{id}/unlock")]
pub async fn unlock_user(
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(admin::unlock(&state, &caller.caller.claims, &id).await?))
}

/// Reset a user's multi-factor authentication (a lost phone): every factor
/// and recovery code is removed, every session revoked, and the user is
/// mailed. Needs `users:write`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Reset"),
        AdminErrors, NotFound,
    )
)]
#[delete("/users/{id}/mfa")]
pub async fn reset_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: RequirePermission<UsersWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = request_context(&req, &state);
    crate::auth::mfa::admin_reset(&state, &caller.caller.claims, &id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

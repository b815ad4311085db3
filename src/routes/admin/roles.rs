use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::guard::UsersRead;
use crate::auth::{RequirePermission, admin};
use crate::error::ApiError;
use crate::openapi::responses::AdminErrors;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Role {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"roles": [{"name": "viewer", "description": "Reads content", "permissions": ["content:read"]}]}))]
pub struct RoleList {
    pub roles: Vec<Role>,
}

/// Every role with its permissions. Needs `users:read`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Roles", body = RoleList),
        AdminErrors,
    )
)]
#[get("/roles")]
pub async fn list_roles(
    state: web::Data<AppState>,
    _caller: RequirePermission<UsersRead>,
) -> Result<HttpResponse, ApiError> {
    let roles = admin::list_roles(&state.db).await?;
    let roles = roles
        .into_iter()
        .map(|(name, description, permissions)| Role {
            name,
            description,
            permissions,
        })
        .collect();
    Ok(HttpResponse::Ok().json(RoleList { roles }))
}

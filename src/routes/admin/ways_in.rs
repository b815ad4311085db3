//! A user's second factors and linked identities, read-only, for the admin
//! console's user page: what `GET /v1/me/mfa` and `GET /v1/me/identities`
//! show the user, shown to an operator with `users:read`. Metadata only
//! (type, name, provider, times); never a secret.

use actix_web::{HttpResponse, get, web};

use crate::api_types::{IdentityList, MfaFactorList};
use crate::auth::guard::UsersRead;
use crate::auth::{RequirePermission, admin, mfa, oidc};
use crate::error::ApiError;
use crate::openapi::responses::{AdminErrors, NotFound};
use crate::state::AppState;

/// A user's confirmed second factors and how many recovery codes are left.
/// Needs `users:read`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "Factors and recovery codes left", body = MfaFactorList),
        AdminErrors, NotFound,
    )
)]
#[get("/users/{id}/mfa")]
pub async fn list_user_factors(
    state: web::Data<AppState>,
    _caller: RequirePermission<UsersRead>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = admin::get_user(&state.db, &id).await?;
    Ok(HttpResponse::Ok().json(mfa::list(&state.db, &user.id).await?))
}

/// The provider identities linked to a user, oldest first. Needs
/// `users:read`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "Linked identities, oldest first", body = IdentityList),
        AdminErrors, NotFound,
    )
)]
#[get("/users/{id}/identities")]
pub async fn list_user_identities(
    state: web::Data<AppState>,
    _caller: RequirePermission<UsersRead>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = admin::get_user(&state.db, &id).await?;
    Ok(HttpResponse::Ok().json(IdentityList {
        identities: oidc::list(&state, &user.id).await?,
    }))
}

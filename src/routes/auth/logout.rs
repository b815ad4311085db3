use actix_web::{HttpResponse, post, web};

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::openapi::responses::BearerErrors;
use crate::state::AppState;

/// Log out: revokes the current session (its access and refresh tokens).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        BearerErrors,
    )
)]
#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    state.revoker().revoke_session(caller.session_id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Log out everywhere: revokes every session of the user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session revoked"),
        BearerErrors,
    )
)]
#[post("/logout-all")]
pub async fn logout_all(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    state.revoker().revoke_everything(caller.user_id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

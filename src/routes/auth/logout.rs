use actix_web::{HttpResponse, post, web};

use crate::auth::{Authenticated, revocation};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Log out: revokes the current session (its access and refresh tokens).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    revocation::revoke_session(&state, caller.session_id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Log out everywhere: revokes every session of the user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session revoked"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/logout-all")]
pub async fn logout_all(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    revocation::revoke_everything(&state, caller.user_id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

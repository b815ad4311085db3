use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::ChangePasswordRequest;
use crate::auth::{Authenticated, reauth, recovery};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, client_ip};
use crate::state::AppState;

/// Change the password of the logged-in user. Keeps the current session,
/// revokes every other one, and mails a notice.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`, or `invalid_credentials` for a wrong current password", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: password policy", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password/change")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let (user, _) =
        reauth::confirm_password(&req, &state, &caller, body.current_password.expose()).await?;
    recovery::change_password(
        &state,
        user,
        caller.session_id(),
        body.new_password.expose(),
        client_ip(&req, &state),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::ChangePasswordRequest;
use crate::auth::{Authenticated, reauth, recovery};
use crate::error::ApiError;
use crate::extract::{JsonBody, request_context};
use crate::openapi::responses::{JsonBodyErrors, ReauthErrors, StepUpRequired};
use crate::state::AppState;

/// Change the password of the logged-in user. Keeps the current session,
/// revokes every other one, and mails a notice. With a second factor, an
/// `aal2` token is needed too.
///
/// An account without a password (signed up by email) sets its first one
/// without `current_password`, within `AUTH_REAUTH_MAX_AGE` of its sign-in
/// (403 `reauthentication_required` after); for any other account
/// `current_password` is required (422).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        JsonBodyErrors, ReauthErrors, StepUpRequired,
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
    let (user, _) = match &body.current_password {
        Some(current) => reauth::confirm_password(&req, &state, &caller, current.expose()).await?,
        None => reauth::confirm_passwordless(&state, &caller).await?,
    };
    recovery::change_password(
        &state,
        user,
        caller.session_id(),
        body.new_password.expose(),
        &request_context(&req, &state),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

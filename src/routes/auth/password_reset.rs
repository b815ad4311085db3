use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{Accepted, EmailRequest, ResetConfirmRequest};
use crate::auth::recovery;
use crate::error::ApiError;
use crate::extract::{JsonBody, request_context};
use crate::openapi::responses::{JsonBodyErrors, LimitedJsonBodyErrors, OneTimeTokenErrors};
use crate::state::AppState;

/// Ask for a password-reset mail. The same answer whether or not the account
/// exists; only an existing account gets mail (at most 3 an hour per email).
#[utoipa::path(
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted", body = Accepted, example = json!({"status": "reset_sent"})),
        LimitedJsonBodyErrors,
    )
)]
#[post("/password-reset/request")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    if let Some(email) = super::front::mail_request(&req, &state, &body.0.email, "reset").await?
        && recovery::request_reset(&state, email).await?
    {
        state.mail_wakeup.notify_one();
    }
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "reset_sent",
    }))
}

/// Set a new password with the token from the reset mail.
///
/// The token works once, within `AUTH_RESET_TTL`, and only while the
/// password is the one it was issued under. Revokes every session, marks
/// the email verified (the mail proved it) and mails a notice.
#[utoipa::path(
    tag = "auth",
    request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed"),
        JsonBodyErrors, OneTimeTokenErrors,
    )
)]
#[post("/password-reset/confirm")]
pub async fn confirm_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    recovery::confirm_reset(
        &state,
        body.token.expose().to_owned(),
        body.new_password.expose(),
        &request_context(&req, &state),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

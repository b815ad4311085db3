use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{Accepted, EmailRequest, ResetConfirmRequest};
use crate::auth::{Email, recovery};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, client_ip};
use crate::ratelimit;
use crate::state::AppState;

/// Ask for a password-reset mail. The same answer whether or not the account
/// exists; only an existing account gets mail (at most 3 an hour per email).
#[utoipa::path(
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted", body = Accepted, headers(("RateLimit-Limit" = u32, description = "Requests allowed in the window"), ("RateLimit-Remaining" = u32, description = "Requests left in the window"), ("RateLimit-Reset" = u32, description = "Seconds until the window resets")), example = json!({"status": "reset_sent"})),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited` (per IP)", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait"), ("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32))),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password-reset/request")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    ratelimit::check_ip(
        &req,
        &state,
        "mail",
        client_ip(&req, &state),
        state.settings.rate_limits.mail_per_ip,
    )
    .await?;
    let email = Email::parse(&body.0.email).map_err(|m| ApiError::validation("email", m))?;
    if ratelimit::mail_allowed(&state, "reset", email.as_str()).await?
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
        (status = 400, description = "`invalid_token`, `token_expired`, `token_used` or `malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: password policy", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
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
        client_ip(&req, &state),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

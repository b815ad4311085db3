use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{Accepted, EmailRequest, TokenRequest, User};
use crate::auth::registration;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, LimitedJsonBodyErrors, OneTimeTokenErrors};
use crate::state::AppState;

/// Confirm an email address with the token from the verification mail.
///
/// When the address was registered more than once before it was verified,
/// the stored password may be someone else's: it is cleared and a
/// password-reset mail goes to the address (see the README, "Account
/// pre-hijacking").
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Email verified", body = User),
        JsonBodyErrors, OneTimeTokenErrors,
    )
)]
#[post("/verify-email")]
pub async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.token.expose().to_owned();
    let (user, mailed) = registration::verify_email(
        &state,
        token,
        &crate::extract::request_context(&req, &state),
    )
    .await?;
    if mailed {
        state.mail_wakeup.notify_one();
    }
    Ok(HttpResponse::Ok().json(user))
}

/// Send the verification mail again. The same answer for unknown, verified
/// and unverified emails; only an unverified account gets mail.
#[utoipa::path(
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted", body = Accepted),
        LimitedJsonBodyErrors,
    )
)]
#[post("/verify-email/resend")]
pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    if let Some(email) = super::front::mail_request(&req, &state, &body.0.email, "verify").await?
        && registration::resend_verification(&state, email).await?
    {
        state.mail_wakeup.notify_one();
    }
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "verification_sent",
    }))
}

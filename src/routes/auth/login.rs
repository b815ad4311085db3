use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{LoginRequest, TokenPair};
use crate::auth::Email;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, LoginErrors};
use crate::ratelimit;
use crate::state::AppState;

/// Log in with email and password; starts a session.
///
/// An unknown email and a wrong password answer alike (401
/// `invalid_credentials`), in about the same time. The verified-email and
/// disabled checks come only after a correct password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair,
            headers(("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32))),
        JsonBodyErrors, LoginErrors,
    )
)]
#[post("/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let result = attempt(&req, &state, body.0).await;
    state.metrics.login(match &result {
        Ok(_) => "success",
        Err(e) => e.code(),
    });
    result
}

async fn attempt(
    req: &HttpRequest,
    state: &AppState,
    body: LoginRequest,
) -> Result<HttpResponse, ApiError> {
    let client = super::client_info(req, state);
    ratelimit::check_ip(
        req,
        state,
        "login",
        client.ip,
        state.settings.rate_limits.login_per_ip,
    )
    .await?;
    let email = Email::parse(&body.email).map_err(|m| ApiError::validation("email", m))?;
    let pair =
        crate::auth::login::with_password(state, &email, body.password.expose(), client).await?;
    Ok(HttpResponse::Ok().json(pair))
}

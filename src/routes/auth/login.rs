use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{LoginRequest, LoginResponse, MfaChallenge, TokenPair};
use crate::auth::Email;
use crate::auth::login::LoginOutcome;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, LoginErrors};
use crate::ratelimit;
use crate::state::AppState;

/// Log in with email and password; starts a session.
///
/// An unknown email and a wrong password answer alike (401
/// `invalid_credentials`), in about the same time. The verified-email and
/// disabled checks come only after a correct password. A user with a
/// second factor gets `{"mfa_required": true, "mfa_token", "factors"}` and
/// no tokens: finish with `POST /v1/auth/mfa/verify`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in, or (with a second factor) the second step to take", body = LoginResponse,
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
    let email = crate::telemetry::mask_email(body.0.email.trim());
    let ip = super::client_info(&req, &state).ip;
    let result = attempt(&req, &state, body.0).await;
    let outcome = match &result {
        Ok((_, Some(_))) => "success",
        Ok((_, None)) => "mfa_required",
        Err(e) => e.code(),
    };
    state.metrics.login(outcome);
    // ASVS 16.2.1 / 16.3.1: one structured line per authentication decision.
    let (user_id, session_id) = match &result {
        Ok((_, Some(pair))) => (
            Some(pair.user.id.clone()),
            state
                .tokens
                .verify_access(&pair.access_token)
                .ok()
                .map(|claims| claims.sid.clone()),
        ),
        Ok((_, None)) | Err(_) => (None, None),
    };
    let ip = ip.map(|ip| ip.to_string());
    if result.is_ok() {
        tracing::info!(
            event = "auth.login",
            outcome,
            user_id,
            email,
            ip,
            session_id,
            "security event"
        );
    } else {
        tracing::warn!(event = "auth.login", outcome, email, ip, "security event");
    }
    result.map(|(response, _)| response)
}

async fn attempt(
    req: &HttpRequest,
    state: &AppState,
    body: LoginRequest,
) -> Result<(HttpResponse, Option<TokenPair>), ApiError> {
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
    match crate::auth::login::with_password(state, &email, body.password.expose(), client).await? {
        LoginOutcome::Session(pair) => Ok((
            HttpResponse::Ok().json(LoginResponse::Tokens(pair.clone())),
            Some(pair),
        )),
        LoginOutcome::MfaRequired(challenge) => Ok((
            HttpResponse::Ok().json(MfaChallenge {
                mfa_required: true,
                mfa_token: challenge.token,
                factors: challenge.factors,
            }),
            None,
        )),
    }
}

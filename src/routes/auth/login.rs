use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{LoginRequest, TokenPair, TokenResponse};
use crate::auth::Email;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, LoginErrors};
use crate::ratelimit;
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// Log in with email and password; starts a session.
///
/// An unknown email and a wrong password answer alike (401
/// `invalid_credentials`), in about the same time. The verified-email and
/// disabled checks come only after a correct password.
///
/// With `X-Authd-Transport: cookie` (browser mode, from a listed origin) the
/// refresh token comes as the `__Host-authd_refresh` cookie, not in the body.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    params(("X-Authd-Transport" = Option<String>, Header,
        description = "`cookie` for browser mode (refresh token as an HttpOnly cookie); `body` or absent for body mode")),
    responses(
        (status = 200, description = "Logged in. In cookie mode the body has no `refresh_token`; \
            it is in the `Set-Cookie` header instead.", body = TokenResponse,
            headers(("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32),
                ("Set-Cookie" = String, description = "Cookie mode only: `__Host-authd_refresh=<refresh token>; \
                    Max-Age=<seconds>; Path=/; Secure; HttpOnly; SameSite=Strict`"))),
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
    let transport = Transport::of(&req, &state.settings.http)?;
    let result = attempt(&req, &state, body.0).await;
    let outcome = match &result {
        Ok(_) => "success",
        Err(e) => e.code(),
    };
    state.metrics.login(outcome);
    // ASVS 16.2.1 / 16.3.1: one structured line per authentication decision.
    let (user_id, session_id) = match &result {
        Ok(pair) => (
            Some(pair.user.id.clone()),
            state
                .tokens
                .verify_access(&pair.access_token)
                .ok()
                .map(|claims| claims.sid.clone()),
        ),
        Err(_) => (None, None),
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
    transport::respond(&state, transport, result?)
}

async fn attempt(
    req: &HttpRequest,
    state: &AppState,
    body: LoginRequest,
) -> Result<TokenPair, ApiError> {
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
    Ok(pair)
}

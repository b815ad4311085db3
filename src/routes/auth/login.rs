use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{LoginRequest, LoginResponse, MfaChallenge};
use crate::auth::Email;
use crate::auth::login::LoginOutcome;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, LoginErrors};
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// Log in with email and password; starts a session.
///
/// An unknown email and a wrong password answer alike (401
/// `invalid_credentials`), in about the same time. The verified-email and
/// disabled checks come only after a correct password. A user with a
/// second factor gets `{"mfa_required": true, "mfa_token", "factors"}` and
/// no tokens: finish with `POST /v1/auth/mfa/verify` (a code) or
/// `POST /v1/auth/mfa/passkey/start` and `…/finish` (a passkey).
///
/// With `X-Authd-Transport: cookie` (browser mode, from a listed origin) the
/// refresh token comes as the `__Host-authd_refresh` cookie, not in the body.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in, or (with a second factor) the second step to take. \
            In cookie mode the body has no `refresh_token`; it is in the `Set-Cookie` header instead.",
            body = LoginResponse),
        JsonBodyErrors, LoginErrors,
    )
)]
#[post("/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = crate::auth::email::mask(body.0.email.trim());
    let ip = super::front::client_info(&req, &state).ip;
    let transport = Transport::of(&req, &state.settings.http)?;
    let (result, account) = attempt(&req, &state, body.0).await;
    let outcome = match &result {
        Ok(LoginOutcome::Session(_)) => "success",
        Ok(LoginOutcome::MfaRequired(_)) => "mfa_required",
        Err(e) => e.code(),
    };
    state.metrics.login(outcome);
    // ASVS 16.2.1 / 16.3.1: one structured line per authentication decision.
    // A failure names the account when the email has one (the log only;
    // the answer stays the same for unknown emails).
    let session_id = match &result {
        Ok(LoginOutcome::Session(pair)) => state
            .tokens
            .verify_access(&pair.access_token)
            .ok()
            .map(|claims| claims.sid.clone()),
        Ok(LoginOutcome::MfaRequired(_)) | Err(_) => None,
    };
    let user_id = account;
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
        tracing::warn!(
            event = "auth.login",
            outcome,
            user_id,
            email,
            ip,
            "security event"
        );
    }
    match result? {
        LoginOutcome::Session(pair) => transport::respond(&state, transport, pair),
        LoginOutcome::MfaRequired(challenge) => Ok(HttpResponse::Ok().json(MfaChallenge {
            mfa_required: true,
            mfa_token: challenge.token,
            factors: challenge.factors,
        })),
    }
}

/// The outcome, and the id of the account the email belongs to (for the
/// security log).
async fn attempt(
    req: &HttpRequest,
    state: &AppState,
    body: LoginRequest,
) -> (Result<LoginOutcome, ApiError>, Option<String>) {
    let client = match super::front::login_limit(req, state).await {
        Ok(client) => client,
        Err(e) => return (Err(e), None),
    };
    let email = match Email::parse(&body.email) {
        Ok(email) => email,
        Err(m) => return (Err(ApiError::validation("email", m)), None),
    };
    let attempt = crate::auth::login::attempt(state, &email, body.password.expose(), client).await;
    (attempt.result, attempt.user_id)
}

//! `/v1/auth/mfa/passkey/…` (the second step of a password login by
//! passkey) and `/v1/auth/passkey/…` (passwordless login with a
//! discoverable passkey), API.md §9.

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{
    PasskeyCeremony, PasskeyFinishRequest, PasskeyMfaStartRequest, TokenPair, TokenResponse,
};
use crate::auth::mfa::passkey;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{
    JsonBodyErrors, PasskeyStepFinishErrors, PasskeyStepStartErrors, PasswordlessErrors,
    PasswordlessStartErrors,
};
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// Logs a finished ceremony; a second step also counts in
/// `mfa_challenges_total`.
fn log_outcome(state: &AppState, event: &'static str, result: &Result<TokenPair, ApiError>) {
    let outcome = match result {
        Ok(_) => "success",
        Err(e) => e.code(),
    };
    if event == "auth.mfa" {
        state.metrics.mfa_verify(outcome);
    }
    match result {
        Ok(pair) => {
            tracing::info!(event, outcome, user_id = %pair.user.id, "security event");
        }
        Err(_) => tracing::warn!(event, outcome, "security event"),
    }
}

/// Start the second step of a login with a passkey: the `mfa_token` from
/// `POST /v1/auth/login`; hand `options` to `navigator.credentials.get()`.
#[utoipa::path(
    tag = "auth",
    request_body = PasskeyMfaStartRequest,
    responses(
        (status = 200, description = "The ceremony (PublicKeyCredentialRequestOptions JSON)", body = PasskeyCeremony),
        JsonBodyErrors, PasskeyStepStartErrors,
    )
)]
#[post("/mfa/passkey/start")]
pub async fn start_mfa_passkey(
    state: web::Data<AppState>,
    body: JsonBody<PasskeyMfaStartRequest>,
) -> Result<HttpResponse, ApiError> {
    let ceremony = passkey::start_second_step(&state, body.0.mfa_token.expose()).await?;
    Ok(HttpResponse::Ok().json(ceremony))
}

/// Finish the second step with the authenticator's assertion: starts an
/// `aal2` session (`amr` `pwd`, `hwk` or `swk`, `mfa`). A refused assertion
/// counts toward the account's lockout like a wrong code; the `mfa_token`
/// stays usable for a new challenge.
#[utoipa::path(
    tag = "auth",
    request_body = PasskeyFinishRequest,
    responses(
        (status = 200, description = "Logged in (`aal2`). In cookie mode the body has no `refresh_token`; \
            it is in the `Set-Cookie` header instead.", body = TokenResponse),
        JsonBodyErrors, PasskeyStepFinishErrors,
    )
)]
#[post("/mfa/passkey/finish")]
pub async fn finish_mfa_passkey(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<PasskeyFinishRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::of(&req, &state.settings.http)?;
    let body = body.0;
    let result = passkey::finish_second_step(&state, &body.challenge_id, &body.credential).await;
    log_outcome(&state, "auth.mfa", &result);
    transport::respond(&state, transport, result?)
}

/// Start a passwordless login: any discoverable passkey registered here
/// may answer (`options.mediation` is `conditional`, for autofill UI).
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The ceremony (PublicKeyCredentialRequestOptions JSON)", body = PasskeyCeremony),
        PasswordlessStartErrors,
    )
)]
#[post("/passkey/start")]
pub async fn start_passwordless(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    super::front::login_limit(&req, &state).await?;
    Ok(HttpResponse::Ok().json(passkey::start_passwordless(&state).await?))
}

/// Finish a passwordless login with the assertion of a discoverable
/// passkey (user verification required): starts an `aal2` session (`amr`
/// `hwk` or `swk`, `mfa`) without a password or second step.
#[utoipa::path(
    tag = "auth",
    request_body = PasskeyFinishRequest,
    responses(
        (status = 200, description = "Logged in (`aal2`). In cookie mode the body has no `refresh_token`; \
            it is in the `Set-Cookie` header instead.", body = TokenResponse),
        JsonBodyErrors, PasswordlessErrors,
    )
)]
#[post("/passkey/finish")]
pub async fn finish_passwordless(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<PasskeyFinishRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::of(&req, &state.settings.http)?;
    let client = super::front::login_limit(&req, &state).await?;
    let body = body.0;
    let result =
        passkey::finish_passwordless(&state, &body.challenge_id, &body.credential, client).await;
    log_outcome(&state, "auth.passkey", &result);
    transport::respond(&state, transport, result?)
}

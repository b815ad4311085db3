use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{MfaVerifyRequest, TokenResponse};
use crate::auth::mfa::{self, Proof};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, MfaVerifyErrors};
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// Finish a login with a second factor: the `mfa_token` from
/// `POST /v1/auth/login` and a TOTP `code` or a `recovery_code`. Starts an
/// `aal2` session. A wrong code counts toward the account's lockout and
/// leaves the `mfa_token` usable; the first success spends it.
///
/// With `X-Authd-Transport: cookie` (browser mode) the refresh token comes
/// as the `__Host-authd_refresh` cookie, as for login.
#[utoipa::path(
    tag = "auth",
    request_body = MfaVerifyRequest,
    responses(
        (status = 200, description = "Logged in (`aal2`). In cookie mode the body has no `refresh_token`; \
            it is in the `Set-Cookie` header instead.", body = TokenResponse),
        JsonBodyErrors, MfaVerifyErrors,
    )
)]
#[post("/mfa/verify")]
pub async fn verify_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<MfaVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let transport = Transport::of(&req, &state.settings.http)?;
    let body = body.0;
    let proof = match (&body.code, &body.recovery_code) {
        (Some(code), None) => Proof::Totp(code.expose()),
        (None, Some(code)) => Proof::RecoveryCode(code.expose()),
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "code",
                "give either code or recovery_code, not both",
            ));
        }
        (None, None) => return Err(ApiError::validation("code", "is required")),
    };
    let result = mfa::verify_login(&state, body.mfa_token.expose(), proof).await;
    let outcome = match &result {
        Ok(_) => "success",
        Err(e) => e.code(),
    };
    state.metrics.mfa_verify(outcome);
    let user_id = result.as_ref().ok().map(|pair| pair.user.id.clone());
    if result.is_ok() {
        tracing::info!(event = "auth.mfa", outcome, user_id, "security event");
    } else {
        tracing::warn!(event = "auth.mfa", outcome, "security event");
    }
    transport::respond(&state, transport, result?)
}

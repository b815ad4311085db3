use actix_web::{HttpResponse, post, web};

use crate::api_types::{MfaVerifyRequest, TokenPair};
use crate::auth::mfa::{self, Proof};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{JsonBodyErrors, MfaVerifyErrors};
use crate::state::AppState;

/// Finish a login with a second factor: the `mfa_token` from
/// `POST /v1/auth/login` and a TOTP `code` or a `recovery_code`. Starts an
/// `aal2` session. A wrong code counts toward the account's lockout and
/// leaves the `mfa_token` usable; the first success spends it.
#[utoipa::path(
    tag = "auth",
    request_body = MfaVerifyRequest,
    responses(
        (status = 200, description = "Logged in (`aal2`)", body = TokenPair),
        JsonBodyErrors, MfaVerifyErrors,
    )
)]
#[post("/mfa/verify")]
pub async fn verify_mfa(
    state: web::Data<AppState>,
    body: JsonBody<MfaVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
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
    Ok(HttpResponse::Ok().json(result?))
}

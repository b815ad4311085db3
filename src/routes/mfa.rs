//! `/v1/me/mfa…`: the caller's second factors and recovery codes
//! (API.md §9). These stay reachable for callers that
//! `AUTH_MFA_REQUIRED_ROLES` holds back, so they can enrol.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_types::{
    MfaCodeRequest, MfaFactor, MfaFactorList, PasskeyCeremony, PasskeyRegisterRequest,
    PasskeyRegistered, RecoveryCodes, RemoveFactorQuery, RenameFactorRequest, TotpEnrolment,
};
use crate::auth::{Authenticated, mfa};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{
    BearerErrors, ConfirmErrors, EnrolErrors, JsonBodyErrors, MalformedQuery, NoFactorConflict,
    NotFound, PasskeyRegisterErrors, StepUpRequired,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_factors)
        .service(enrol_totp)
        .service(confirm_totp)
        .service(rename_factor)
        .service(remove_factor)
        .service(regenerate_recovery_codes)
        .service(start_passkey_registration)
        .service(finish_passkey_registration);
}

/// The caller's confirmed second factors and how many recovery codes are
/// left.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Factors and recovery codes left", body = MfaFactorList),
        BearerErrors,
    )
)]
#[get("/mfa")]
pub async fn list_factors(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(mfa::list(&state.db, caller.user_id()).await?))
}

/// Start enrolling an authenticator app (TOTP: SHA-1, 6 digits, 30 s).
/// The factor counts once confirmed with a code. The first factor needs a
/// login within `AUTH_REAUTH_MAX_AGE`; another one an `aal2` token.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The secret, shown this once", body = TotpEnrolment),
        BearerErrors, EnrolErrors,
    )
)]
#[post("/mfa/totp")]
pub async fn enrol_totp(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(mfa::enrol_totp(&state, &caller.claims).await?))
}

/// Confirm a TOTP factor with the app's current code. The first factor
/// answers the 10 recovery codes (shown this once), later ones `{}`. The
/// caller's session becomes `aal2` from its next refresh; a notice is
/// mailed.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "From the enrolment")),
    request_body = MfaCodeRequest,
    responses(
        (status = 200, description = "Confirmed: `{\"recovery_codes\": [...]}` for the first factor, `{}` after", body = RecoveryCodes),
        JsonBodyErrors, BearerErrors, ConfirmErrors,
    )
)]
#[post("/mfa/totp/{factor_id}/confirm")]
pub async fn confirm_totp(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    factor_id: web::Path<String>,
    body: JsonBody<MfaCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let ctx = crate::extract::request_context(&req, &state);
    let codes = mfa::confirm_totp(
        &state,
        &caller.claims,
        &factor_id,
        body.0.code.expose(),
        body.0.end_other_sessions,
        &ctx,
    )
    .await?;
    Ok(match codes {
        Some(recovery_codes) => HttpResponse::Ok().json(RecoveryCodes { recovery_codes }),
        None => HttpResponse::Ok().json(serde_json::json!({})),
    })
}

/// Rename one of the caller's factors (the label in the list: "Work
/// laptop"). Only the label changes: no step-up, no notice mail.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "Factor id")),
    request_body = RenameFactorRequest,
    responses(
        (status = 200, description = "The factor with its new name", body = MfaFactor),
        JsonBodyErrors, BearerErrors, NotFound,
    )
)]
#[patch("/mfa/{factor_id}")]
pub async fn rename_factor(
    state: web::Data<AppState>,
    caller: Authenticated,
    factor_id: web::Path<String>,
    body: JsonBody<RenameFactorRequest>,
) -> Result<HttpResponse, ApiError> {
    let factor = mfa::rename(&state.db, caller.user_id(), &factor_id, &body.0.name).await?;
    Ok(HttpResponse::Ok().json(factor))
}

/// Remove one of the caller's factors (`aal2` while they have MFA); a
/// notice is mailed. Removing the last one also removes the recovery codes.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "Factor id"), RemoveFactorQuery),
    responses(
        (status = 204, description = "Removed"),
        BearerErrors, StepUpRequired, NotFound, MalformedQuery,
    )
)]
#[delete("/mfa/{factor_id}")]
pub async fn remove_factor(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    factor_id: web::Path<String>,
    query: web::Query<RemoveFactorQuery>,
) -> Result<HttpResponse, ApiError> {
    let ctx = crate::extract::request_context(&req, &state);
    mfa::remove(
        &state,
        &caller.claims,
        &factor_id,
        query.end_other_sessions,
        &ctx,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new set of 10 recovery codes (`aal2`); the old ones stop working.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new codes, shown this once", body = RecoveryCodes),
        BearerErrors, StepUpRequired, NoFactorConflict,
    )
)]
#[post("/mfa/recovery-codes")]
pub async fn regenerate_recovery_codes(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let recovery_codes = mfa::regenerate_codes(&state, &caller.claims).await?;
    Ok(HttpResponse::Ok().json(RecoveryCodes { recovery_codes }))
}

/// Start registering a passkey: hand `options` to
/// `navigator.credentials.create()`. The same rules as any enrolment: the
/// first factor needs a login within `AUTH_REAUTH_MAX_AGE`, another one an
/// `aal2` token. The challenge lives 5 minutes and is answered once.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ceremony (PublicKeyCredentialCreationOptions JSON)", body = PasskeyCeremony),
        BearerErrors, EnrolErrors,
    )
)]
#[post("/passkeys/register/start")]
pub async fn start_passkey_registration(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(mfa::passkey::start_registration(&state, &caller.claims).await?))
}

/// Finish registering a passkey with the authenticator's answer. The
/// passkey is a confirmed factor at once (type `passkey`); the first factor
/// also answers the 10 recovery codes (shown this once). The caller's
/// session becomes `aal2` from its next refresh; a notice is mailed.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = PasskeyRegisterRequest,
    responses(
        (status = 201, description = "Registered", body = PasskeyRegistered),
        JsonBodyErrors, BearerErrors, PasskeyRegisterErrors,
    )
)]
#[post("/passkeys/register/finish")]
pub async fn finish_passkey_registration(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<PasskeyRegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let registered = mfa::passkey::finish_registration(
        &state,
        &caller.claims,
        &body.challenge_id,
        &body.credential,
        body.name.as_deref(),
        body.end_other_sessions,
    )
    .await?;
    Ok(HttpResponse::Created().json(registered))
}

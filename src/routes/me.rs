//! `/v1/me`: the caller's own account.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_types::{
    Accepted, ChangeEmailRequest, DeleteMeRequest, EmailStatus, SecurityEvents, UpdateMeRequest,
    User,
};
use crate::auth::{Authenticated, Email, accounts, audit_queries, email_change, reauth};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{
    BearerErrors, JsonBodyErrors, LastAdminConflict, ReauthErrors, StepUpRequired,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(update_me)
        .service(delete_me)
        .service(security_events)
        .service(email_status)
        .service(change_email)
        .configure(super::mfa::configure)
        .configure(super::identities::configure);
}

/// The caller's account.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = User),
        BearerErrors,
    )
)]
#[get("")]
pub async fn get_me(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let user = accounts::view(&state.db, caller.user_id(), caller.user_version).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Change the caller's display name, mail language, or both.
///
/// Any non-empty subset of `display_name` and `locale` (a BCP 47 tag; an
/// invalid one is 422 and nothing changes). Mail to the account is written
/// in its locale, falling back `de-AT` → `de` → the server's default.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = User),
        JsonBodyErrors, BearerErrors,
    )
)]
#[patch("")]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let changes = accounts::Changes {
        display_name: body.display_name.as_ref().map(Option::as_deref),
        locale: body.locale.as_deref(),
    };
    let user = accounts::update(&state.db, caller.user_id(), changes).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Delete the caller's account (password required; with a second factor,
/// an `aal2` token too). Its sessions end and its email can register again.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Account deleted"),
        JsonBodyErrors, ReauthErrors, StepUpRequired, LastAdminConflict,
    )
)]
#[delete("")]
pub async fn delete_me(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, _) =
        reauth::confirm_password(&req, &state, &caller, body.0.password.expose()).await?;
    let ctx = crate::extract::request_context(&req, &state);
    accounts::delete(state.revoker(), &user.id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's last 50 security events (those about them or caused by
/// them), newest first.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's security events", body = SecurityEvents),
        BearerErrors,
    )
)]
#[get("/security-events")]
pub async fn security_events(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let events = audit_queries::security_events(&state.db, caller.user_id()).await?;
    Ok(HttpResponse::Ok().json(SecurityEvents { events }))
}

/// The caller's address and the change of it waiting for confirmation
/// (`pending`, null when none is).
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The address and the pending change", body = EmailStatus),
        BearerErrors,
    )
)]
#[get("/email")]
pub async fn email_status(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let status = email_change::status(&state.db, caller.user_id()).await?;
    Ok(HttpResponse::Ok().json(status))
}

/// Change the caller's email address (password required). A confirmation
/// link goes to the new address; nothing changes until it is used. The
/// same answer when the address is taken (its owner gets an "account
/// exists" mail instead).
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 202, description = "Confirmation mail queued", body = Accepted,
            example = json!({"status": "confirmation_sent"})),
        JsonBodyErrors, ReauthErrors, StepUpRequired,
    )
)]
#[post("/email")]
pub async fn change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ChangeEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let new_email =
        Email::parse(&body.new_email).map_err(|m| ApiError::validation("new_email", m))?;
    let (user, _) = reauth::confirm_password(&req, &state, &caller, body.password.expose()).await?;
    email_change::request(&state, user, caller.session_id(), new_email).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "confirmation_sent",
    }))
}

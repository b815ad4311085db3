//! `/v1/me`: the caller's own account.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_types::{DeleteMeRequest, UpdateMeRequest, User};
use crate::auth::{Authenticated, accounts, reauth};
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
    let user = accounts::view(&state.db, caller.user_id()).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Change the caller's display name.
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
    let user =
        accounts::rename(&state.db, caller.user_id(), body.0.display_name.as_deref()).await?;
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
    accounts::delete(state.revoker(), &user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

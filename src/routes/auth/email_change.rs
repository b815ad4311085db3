use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{TokenRequest, User};
use crate::auth::email_change;
use crate::error::ApiError;
use crate::extract::{JsonBody, request_context};
use crate::openapi::responses::{EmailTakenConflict, JsonBodyErrors, OneTimeTokenErrors};
use crate::state::AppState;

/// Confirm a new email address with the token from the confirmation mail.
///
/// The account's address becomes the new one, verified; the old address
/// gets a notice with a revert link. Sessions stay. 409 `conflict` when
/// another account took the address since the request.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "The account with its new address", body = User),
        JsonBodyErrors, OneTimeTokenErrors, EmailTakenConflict,
    )
)]
#[post("/email-change/confirm")]
pub async fn confirm_email_change(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.token.expose().to_owned();
    let user = email_change::confirm(&state, token, &request_context(&req, &state)).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Put the old address back with the token from the "address changed"
/// notice: every session ends, the password is cleared and a reset link
/// goes to the old address.
#[utoipa::path(
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "The account with its old address", body = User),
        JsonBodyErrors, OneTimeTokenErrors, EmailTakenConflict,
    )
)]
#[post("/email-change/revert")]
pub async fn revert_email_change(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.token.expose().to_owned();
    let ctx = request_context(&req, &state);
    let user = email_change::revert(&state, token, &ctx).await?;
    Ok(HttpResponse::Ok().json(user))
}

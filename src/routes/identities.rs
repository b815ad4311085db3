//! `/v1/me/identities…`: the caller's linked social-login identities
//! (API.md §11).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_types::{
    Identity, IdentityList, OAuthCallbackRequest, OAuthStartRequest, OAuthStartResponse,
};
use crate::auth::{Authenticated, oidc};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{
    BearerErrors, JsonBodyErrors, LinkCallbackErrors, LinkStartErrors, OAuthLoginErrors,
    OAuthStartErrors, UnlinkErrors,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_identities)
        .service(link_identity_start)
        .service(link_identity_callback)
        .service(unlink_identity);
}

/// The provider identities linked to the caller.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Linked identities, oldest first", body = IdentityList),
        BearerErrors,
    )
)]
#[get("/identities")]
pub async fn list_identities(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(IdentityList {
        identities: oidc::list(&state, caller.user_id()).await?,
    }))
}

/// Start linking a provider to the caller: as the login's start, bound to
/// the caller (the callback must come with the same user's token).
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    params(("provider" = String, Path, description = "A name from `GET /v1/auth/oauth/providers`")),
    request_body = OAuthStartRequest,
    responses(
        (status = 200, description = "Send the browser to `authorization_url`", body = OAuthStartResponse),
        JsonBodyErrors, BearerErrors, OAuthStartErrors, LinkStartErrors,
    )
)]
#[post("/identities/{provider}/start")]
pub async fn link_identity_start(
    state: web::Data<AppState>,
    caller: Authenticated,
    provider: web::Path<String>,
    body: JsonBody<OAuthStartRequest>,
) -> Result<HttpResponse, ApiError> {
    let url = oidc::start(
        &state,
        &provider,
        &body.0.redirect_uri,
        Some(&caller.claims),
        None,
    )
    .await?;
    Ok(HttpResponse::Ok().json(OAuthStartResponse {
        authorization_url: url,
    }))
}

/// Finish linking: the provider's `code` and `state`. A notice is mailed.
/// An identity already linked to another user answers 409 `conflict`.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    params(("provider" = String, Path, description = "A name from `GET /v1/auth/oauth/providers`")),
    request_body = OAuthCallbackRequest,
    responses(
        (status = 200, description = "Linked", body = Identity),
        JsonBodyErrors, BearerErrors, OAuthLoginErrors, LinkCallbackErrors,
    )
)]
#[post("/identities/{provider}/callback")]
pub async fn link_identity_callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    provider: web::Path<String>,
    body: JsonBody<OAuthCallbackRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let identity = oidc::link(
        &state,
        &caller.claims,
        &provider,
        body.code.expose(),
        body.state.expose(),
        body.iss.as_deref(),
        &crate::extract::request_context(&req, &state),
    )
    .await?;
    Ok(HttpResponse::Ok().json(identity))
}

/// Unlink one of the caller's identities; never the last way to log in
/// (a password or another identity must remain: 409 `conflict`). A
/// notice is mailed.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "From `GET /v1/me/identities`")),
    responses(
        (status = 204, description = "Unlinked"),
        BearerErrors, UnlinkErrors, LinkStartErrors,
    )
)]
#[delete("/identities/{id}")]
pub async fn unlink_identity(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = crate::extract::request_context(&req, &state);
    oidc::unlink(&state, &caller.claims, &id, &ctx).await?;
    Ok(HttpResponse::NoContent().finish())
}

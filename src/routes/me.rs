//! `/v1/me`: the caller's own account.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api_types::{DeleteMeRequest, UpdateMeRequest, User};
use crate::auth::{Authenticated, accounts, reauth};
use crate::db::{now, users};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::auth::parse_display_name;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me).service(update_me).service(delete_me);
}

/// The caller's account.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = User),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn get_me(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.user_id().to_owned();
    let user = state
        .db
        .run(move |conn| crate::auth::users::view(conn, &user_id))
        .await
        .map_err(gone_is_unauthorized)?;
    Ok(HttpResponse::Ok().json(user))
}

/// Change the caller's display name.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account", body = User),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("")]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = parse_display_name(body.0.display_name.as_deref())
        .map_err(|m| ApiError::validation("display_name", m))?;
    let user_id = caller.user_id().to_owned();
    let user = state
        .db
        .transaction(move |conn| {
            users::set_display_name(conn, &user_id, name.as_deref(), now())?;
            crate::auth::users::view(conn, &user_id)
        })
        .await
        .map_err(gone_is_unauthorized)?;
    Ok(HttpResponse::Ok().json(user))
}

/// Delete the caller's account (password required). Its sessions end and
/// its email can register again.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Account deleted"),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`, or `invalid_credentials` for a wrong password", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the last admin cannot delete their account", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
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
    accounts::delete(&state, &user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A valid token whose user no longer exists is a 401, not a 404.
fn gone_is_unauthorized(e: ApiError) -> ApiError {
    match e {
        ApiError::NotFound(_) => ApiError::Unauthorized,
        other => other,
    }
}

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::auth::Authenticated;
use crate::auth::audit::{Event, EventType};
use crate::db::sessions::RevokeReason;
use crate::error::ApiError;
use crate::extract::request_context;
use crate::openapi::responses::BearerErrors;
use crate::state::AppState;

/// Log out: revokes the current session (its access and refresh tokens).
///
/// Also clears the browser-mode refresh cookie.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out",
            headers(("Set-Cookie" = String, description = "Clears the browser-mode refresh cookie: \
                `__Host-authd_refresh=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict`"))),
        BearerErrors,
    )
)]
#[post("/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let event = Event::new(EventType::SessionRevoked).by(caller.user_id());
    let ctx = request_context(&req, &state);
    let event = event.with("reason", "logout");
    state
        .revoker()
        .revoke_session(caller.session_id(), RevokeReason::Logout, &ctx, event)
        .await?;
    Ok(cleared())
}

/// Log out everywhere: revokes every session of the user.
///
/// Also clears the browser-mode refresh cookie.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session revoked",
            headers(("Set-Cookie" = String, description = "Clears the browser-mode refresh cookie: \
                `__Host-authd_refresh=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict`"))),
        BearerErrors,
    )
)]
#[post("/logout-all")]
pub async fn logout_all(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let event = Event::new(EventType::SessionRevoked).by(caller.user_id());
    let event = event
        .session(caller.session_id())
        .with("reason", "logout_all");
    let ctx = request_context(&req, &state);
    state
        .revoker()
        .revoke_everything(caller.user_id(), RevokeReason::LogoutAll, &ctx, Some(event))
        .await?;
    Ok(cleared())
}

/// 204 with the refresh cookie removed.
fn cleared() -> HttpResponse {
    let mut response = HttpResponse::NoContent().finish();
    crate::routes::transport::clear_cookie(&mut response);
    response
}

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{RefreshRequest, TokenPair};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{LimitedJsonBodyErrors, RefreshErrors};
use crate::state::AppState;

/// Trade a refresh token for a new pair; the presented token is spent.
///
/// Roles and email state are read again from the database. Presenting a
/// spent token again revokes the whole session (`refresh_token_reused`),
/// except within the reuse grace window (10 s by default), which returns the
/// same successor pair.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair,
            headers(("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32))),
        LimitedJsonBodyErrors, RefreshErrors,
    )
)]
#[post("/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = super::client_info(&req, &state).ip.map(|ip| ip.to_string());
    let claims = match crate::auth::refresh::verify(&state.tokens, body.0.refresh_token.expose()) {
        Ok(claims) => claims,
        Err(e) => {
            tracing::warn!(
                event = "auth.refresh",
                outcome = e.code(),
                ip,
                "security event"
            );
            return Err(e);
        }
    };
    let result = rotate(&req, &state, &claims).await;
    // ASVS 16.3.1: a refresh is an authentication decision too.
    match &result {
        Ok(_) => tracing::info!(
            event = "auth.refresh",
            outcome = "success",
            user_id = %claims.sub,
            session_id = %claims.sid,
            ip,
            "security event"
        ),
        Err(e) => tracing::warn!(
            event = "auth.refresh",
            outcome = e.code(),
            user_id = %claims.sub,
            session_id = %claims.sid,
            ip,
            "security event"
        ),
    }
    result
}

async fn rotate(
    req: &HttpRequest,
    state: &AppState,
    claims: &crate::tokens::RefreshClaims,
) -> Result<HttpResponse, ApiError> {
    state
        .limits()
        .check(
            req,
            "refresh",
            &claims.sid,
            state.settings.rate_limits.refresh_per_session,
        )
        .await?;
    let ctx = crate::extract::request_context(req, state);
    let pair = crate::auth::refresh::rotate(state, claims, &ctx).await?;
    Ok(HttpResponse::Ok().json(pair))
}

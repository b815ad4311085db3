use actix_web::{FromRequest, HttpRequest, HttpResponse, post, web};

use crate::api_types::{RefreshRequest, TokenResponse};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::responses::{LimitedJsonBodyErrors, RefreshErrors};
use crate::routes::transport::{self, Transport};
use crate::state::AppState;

/// Trade a refresh token for a new pair; the presented token is spent.
///
/// Roles and email state are read again from the database. Presenting a
/// spent token again revokes the whole session (`refresh_token_reused`),
/// except within the reuse grace window (10 s by default), which returns the
/// same successor pair.
///
/// With `X-Authd-Transport: cookie` (browser mode) the body may be absent
/// (or `{}`): the refresh token is read from the `__Host-authd_refresh`
/// cookie and its successor set as that cookie again. The cookie is never
/// read without that header (403 `forbidden`).
#[utoipa::path(
    tag = "auth",
    request_body(content = Option<RefreshRequest>,
        description = "Required in body mode; absent or `{}` in cookie mode"),
    responses(
        (status = 200, description = "A new token pair. In cookie mode the body has no `refresh_token`; \
            it is in the `Set-Cookie` header instead.", body = TokenResponse),
        LimitedJsonBodyErrors, RefreshErrors,
    )
)]
#[post("/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ip = super::front::client_info(&req, &state)
        .ip
        .map(|ip| ip.to_string());
    let presented = match Transport::of(&req, &state.settings.http) {
        Ok(transport) => presented_token(&req, transport, payload)
            .await
            .map(|token| (transport, token)),
        Err(e) => Err(e),
    };
    let (transport, token) = match presented {
        Ok(presented) => presented,
        Err(e) => {
            // A CSRF refusal (403) is worth a line; a malformed body is not.
            if e.code() == "forbidden" {
                tracing::warn!(
                    event = "auth.refresh",
                    outcome = e.code(),
                    ip,
                    reason = %e,
                    "security event"
                );
            }
            return Err(e);
        }
    };
    let claims = match crate::auth::refresh::verify(&state.tokens, token.expose()) {
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
    let result = rotate(&req, &state, &claims, transport).await;
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

/// The refresh token the request presents: the cookie in cookie mode (the
/// body is ignored), else the JSON body. A request that carries the cookie
/// without the header and without a JSON body (a form post, a plain fetch)
/// is refused: the cookie alone never authenticates.
async fn presented_token(
    req: &HttpRequest,
    transport: Transport,
    payload: web::Payload,
) -> Result<crate::secret::Secret, ApiError> {
    match transport {
        Transport::Cookie => transport::refresh_cookie(req)
            .map(crate::secret::Secret::new)
            .ok_or(ApiError::InvalidToken(crate::error::TokenKind::Refresh)),
        Transport::Body => {
            let json = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
            if !json && transport::refresh_cookie(req).is_some() {
                return Err(ApiError::CookieWithoutHeader);
            }
            let mut payload = payload.into_inner();
            let body = JsonBody::<RefreshRequest>::from_request(req, &mut payload).await?;
            Ok(body.0.refresh_token)
        }
    }
}

async fn rotate(
    req: &HttpRequest,
    state: &AppState,
    claims: &crate::tokens::RefreshClaims,
    transport: Transport,
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
    transport::respond(state, transport, pair)
}

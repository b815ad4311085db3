use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{LoginRequest, TokenPair};
use crate::auth::{Email, lockout, session};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, client_ip};
use crate::password;
use crate::ratelimit;
use crate::state::AppState;

/// Log in with email and password; starts a session.
///
/// An unknown email and a wrong password answer alike (401
/// `invalid_credentials`), in about the same time. The verified-email and
/// disabled checks come only after a correct password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair,
            headers(("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32))),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email_not_verified` or `account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited` (per IP) or `account_locked`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait"), ("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32))),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let result = attempt(&req, &state, body.0).await;
    state.metrics.login(match &result {
        Ok(_) => "success",
        Err(e) => e.code(),
    });
    result
}

async fn attempt(
    req: &HttpRequest,
    state: &AppState,
    body: LoginRequest,
) -> Result<HttpResponse, ApiError> {
    ratelimit::check_ip(
        req,
        state,
        "login",
        client_ip(req, state),
        state.settings.rate_limits.login_per_ip,
    )
    .await?;
    let email = Email::parse(&body.email).map_err(|m| ApiError::validation("email", m))?;
    lockout::check(state, &email).await?;

    let lookup = email.clone();
    let found = state
        .db
        .run(move |conn| {
            let Some(row) = crate::db::users::find_by_email(conn, lookup.as_str())? else {
                return Ok(None);
            };
            let roles = crate::db::users::roles_of(conn, &row.id)?;
            Ok(Some((row, roles)))
        })
        .await?;

    // Unknown emails still cost one bcrypt verification (no timing oracle).
    let hash = found
        .as_ref()
        .map_or(state.dummy_hash.as_str(), |(row, _)| {
            row.password_hash.as_str()
        });
    let matches = state.passwords.verify(body.password.expose(), hash).await?;
    let Some((row, roles)) = found.filter(|_| matches) else {
        lockout::record_failure(state, &email).await?;
        return Err(ApiError::InvalidCredentials);
    };
    lockout::reset(state, &email).await?;

    if row.disabled {
        return Err(ApiError::AccountDisabled);
    }
    if state.settings.require_verified_email && !row.email_verified {
        return Err(ApiError::EmailNotVerified);
    }
    let upgraded = if password::needs_rehash(&row.password_hash, state.settings.bcrypt_cost) {
        let password = crate::password::Password::from_verified(body.password.expose());
        Some(state.passwords.hash(&password).await?)
    } else {
        None
    };
    let pair = session::start(state, row, roles, super::client_info(req, state), upgraded).await?;
    Ok(HttpResponse::Ok().json(pair))
}

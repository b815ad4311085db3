use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::{Accepted, EmailRequest, ResetConfirmRequest};
use crate::auth::{Email, one_time, revocation};
use crate::db::{now, sessions, tokens, users};
use crate::error::{ApiError, Problem, TokenKind};
use crate::extract::{JsonBody, client_ip};
use crate::mail::{self, MailKind};
use crate::password::Password;
use crate::ratelimit;
use crate::state::AppState;

/// Ask for a password-reset mail. The same answer whether or not the account
/// exists; only an existing account gets mail (at most 3 an hour per email).
#[utoipa::path(
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "Accepted", body = Accepted, headers(("RateLimit-Limit" = u32, description = "Requests allowed in the window"), ("RateLimit-Remaining" = u32, description = "Requests left in the window"), ("RateLimit-Reset" = u32, description = "Seconds until the window resets")), example = json!({"status": "reset_sent"})),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited` (per IP)", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait"), ("RateLimit-Limit" = u32), ("RateLimit-Remaining" = u32), ("RateLimit-Reset" = u32))),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password-reset/request")]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    ratelimit::check_ip(
        &req,
        &state,
        "mail",
        client_ip(&req, &state),
        state.settings.rate_limits.mail_per_ip,
    )
    .await?;
    let email = Email::parse(&body.0.email).map_err(|m| ApiError::validation("email", m))?;
    if ratelimit::mail_allowed(&state, "reset", email.as_str()).await? {
        let app = state.clone();
        let queued = state
            .db
            .transaction(move |conn| {
                let settings = &app.settings;
                let Some(user) = users::find_by_email(conn, email.as_str())? else {
                    return Ok(false);
                };
                let token = one_time::issue(
                    conn,
                    &user.id,
                    one_time::RESET_PASSWORD,
                    now(),
                    settings.reset_ttl,
                )?;
                mail::enqueue(
                    conn,
                    settings,
                    email.as_str(),
                    MailKind::PasswordReset { token },
                )?;
                Ok(true)
            })
            .await?;
        if queued {
            state.mail_wakeup.notify_one();
        }
    }
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "reset_sent",
    }))
}

/// Set a new password with the token from the reset mail.
///
/// The token works once, within `AUTH_RESET_TTL`, and only while the
/// password is the one it was issued under. Revokes every session, marks
/// the email verified (the mail proved it) and mails a notice.
#[utoipa::path(
    tag = "auth",
    request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`invalid_token`, `token_expired`, `token_used` or `malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: password policy", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password-reset/confirm")]
pub async fn confirm_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let token = body.token.expose().to_owned();

    // Look the token up first (the policy needs the account's email), but
    // spend it only in the transaction that changes the password.
    let lookup = token.clone();
    let user = state
        .db
        .run(move |conn| {
            let row = tokens::find(conn, &one_time::hash(&lookup))?;
            let Some(row) = row.filter(|r| r.purpose == one_time::RESET_PASSWORD) else {
                return Ok(None);
            };
            Ok(users::find_by_id(conn, &row.user_id)?.map(|user| (row, user)))
        })
        .await?;
    let Some((token_row, user)) = user else {
        return Err(ApiError::InvalidToken(TokenKind::OneTime));
    };
    if token_row.used_at.is_some() {
        return Err(ApiError::TokenUsed);
    }
    if token_row.expires_at <= now() {
        return Err(ApiError::TokenExpired(TokenKind::OneTime));
    }
    if token_row.created_at < user.password_changed_at {
        // Issued under a password that has since changed.
        return Err(ApiError::InvalidToken(TokenKind::OneTime));
    }
    let password = Password::parse(
        body.new_password.expose(),
        &user.email,
        &state.settings.password,
    )
    .map_err(|failures| ApiError::Validation([("new_password".to_owned(), failures)].into()))?;
    let hash = state
        .passwords
        .hash(&password, client_ip(&req, &state))
        .await?;

    let app = state.clone();
    let user_id = user.id.clone();
    let revoked = state
        .db
        .transaction(move |conn| {
            let at = now();
            one_time::consume(conn, &token, one_time::RESET_PASSWORD, at)?;
            users::change_password(conn, &user_id, &hash, at)?;
            users::mark_verified(conn, &user_id, at)?;
            users::set_tokens_valid_after(conn, &user_id, at)?;
            tokens::spend_all(conn, &user_id, one_time::RESET_PASSWORD, at)?;
            let revoked = sessions::revoke_all_for_user(conn, &user_id, None, at)?;
            mail::enqueue(conn, &app.settings, &user.email, MailKind::PasswordChanged)?;
            Ok((revoked, at))
        })
        .await?;
    state.mail_wakeup.notify_one();
    let (revoked, at) = revoked;
    revocation::publish(&state, &revoked).await?;
    revocation::publish_valid_after(&state, &token_row.user_id, at).await?;
    Ok(HttpResponse::NoContent().finish())
}

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::api_types::ChangePasswordRequest;
use crate::auth::{Authenticated, one_time, reauth, revocation};
use crate::db::{now, sessions, tokens, users};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, client_ip};
use crate::mail::{self, MailKind};
use crate::password::Password;
use crate::state::AppState;

/// Change the password of the logged-in user. Keeps the current session,
/// revokes every other one, and mails a notice.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`malformed_request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`, or `invalid_credentials` for a wrong current password", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: password policy", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`service_unavailable`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password/change")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let (user, _) =
        reauth::confirm_password(&req, &state, &caller, body.current_password.expose()).await?;
    let user_id = user.id.clone();
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
    let keep = caller.session_id().to_owned();
    let revoked = state
        .db
        .transaction(move |conn| {
            let at = now();
            users::change_password(conn, &user_id, &hash, at)?;
            tokens::spend_all(conn, &user_id, one_time::RESET_PASSWORD, at)?;
            let revoked = sessions::revoke_all_for_user(conn, &user_id, Some(&keep), at)?;
            mail::enqueue(conn, &app.settings, &user.email, MailKind::PasswordChanged)?;
            Ok(revoked)
        })
        .await?;
    state.mail_wakeup.notify_one();
    revocation::publish(&state, &revoked).await?;
    Ok(HttpResponse::NoContent().finish())
}
